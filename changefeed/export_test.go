package changefeed

import "time"

// PollsForTest makes the Feed send its position after every poll on the
// returned channel (blocking until read). Call it before Start.
func (f *Feed) PollsForTest() <-chan int64 { return f.pollsForTest() }

// PrunesForTest makes the Feed send the number of rows deleted after every
// prune on the returned channel (blocking until read). Call it before
// Start.
func (f *Feed) PrunesForTest() <-chan int64 {
	f.pruned = make(chan int64)
	return f.pruned
}

// PruneIntervalForTest returns the jittered prune interval Start chose.
func (f *Feed) PruneIntervalForTest() time.Duration { return f.pruneEvery }
