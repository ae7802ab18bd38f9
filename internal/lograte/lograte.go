// Package lograte spaces out repeated log lines. During an outage every
// request or every poll fails the same way, and one line per failure would
// bury the log; letting one line through per interval, and saying in it how
// many were left out, keeps the log readable without hiding the count.
package lograte

import (
	"sync"
	"time"
)

// Limiter lets one line through per interval and counts the others. The
// zero value is ready; it is safe for concurrent use. Times come from the
// caller's clock, so tests drive it with a fake one.
type Limiter struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// Allow reports whether a line may be logged at now, at most one per
// interval, and if so how many were refused since the last one let
// through. A clock that went backwards lets the line through, so a
// stepped clock cannot silence the log.
func (l *Limiter) Allow(now time.Time, interval time.Duration) (suppressed int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if age := now.Sub(l.last); !l.last.IsZero() && age >= 0 && age < interval {
		l.suppressed++
		return 0, false
	}
	suppressed = l.suppressed
	l.last, l.suppressed = now, 0
	return suppressed, true
}
