package changefeed

import "github.com/seed-c7fc2061/serviceaccounts/internal/feedhooks"

// The database tests live in another module (tests/changefeed), so that
// no application's build loads the drivers they import; this is their
// way to PollsForTest.
func init() {
	feedhooks.PollsForTest = func(f any) <-chan int64 { return f.(*Feed).pollsForTest() }
}

// pollsForTest makes the Feed send its position after every poll on the
// returned channel (blocking until read). Call it before Start.
func (f *Feed) pollsForTest() <-chan int64 {
	f.polled = make(chan int64)
	return f.polled
}
