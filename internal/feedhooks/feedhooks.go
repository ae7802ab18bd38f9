// Package feedhooks carries changefeed's test seam to the database tests
// of the tests module (tests/changefeed), which cannot see changefeed's
// export_test.go. changefeed sets it in its init; being internal, it is
// no part of the public API.
package feedhooks

// PollsForTest makes the feed f (a *changefeed.Feed) send its position
// after every poll on the returned channel (blocking until read). Call it
// before Start.
var PollsForTest func(f any) <-chan int64
