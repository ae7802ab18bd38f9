package lograte

import (
	"testing"
	"time"
)

func TestLimiterLetsOneLineThroughPerIntervalAndCountsTheRest(t *testing.T) {
	var l Limiter
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at         time.Duration
		ok         bool
		suppressed int
	}{
		{0, true, 0},
		{100 * time.Millisecond, false, 0},
		{999 * time.Millisecond, false, 0},
		{time.Second, true, 2},
		{time.Second, false, 0},
		{500 * time.Millisecond, true, 1}, // the clock went back: logged
	}
	for i, s := range steps {
		suppressed, ok := l.Allow(t0.Add(s.at), time.Second)
		if ok != s.ok || suppressed != s.suppressed {
			t.Fatalf("step %d at +%s: got (%d, %v), want (%d, %v)", i, s.at, suppressed, ok, s.suppressed, s.ok)
		}
	}
}
