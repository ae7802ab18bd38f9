package adminui

import (
	"fmt"
	"time"
)

// timeView is a time as a person reads it: relative to now ("3 hours
// ago"), with the exact time for the pointer (a title) and for screen
// readers (visually hidden text), and as <time datetime> holds it.
type timeView struct {
	ISO      string
	Text     string // exact, in the page's time zone: "2027-03-01 23:59 UTC"
	Relative string // "3 hours ago", "in 2 months"
}

func newTimeView(t *time.Time, now time.Time, loc *time.Location) *timeView {
	if t == nil {
		return nil
	}
	return &timeView{
		ISO:      t.UTC().Format(time.RFC3339),
		Text:     t.In(loc).Format("2006-01-02 15:04 MST"),
		Relative: relativeTime(*t, now),
	}
}

// relativeTime says how far t is from now in the largest whole unit, the
// way people say it; under a minute is "just now".
func relativeTime(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	if d < time.Minute {
		return "just now"
	}
	var n int
	var unit string
	switch {
	case d < time.Hour:
		n, unit = int(d/time.Minute), "minute"
	case d < 24*time.Hour:
		n, unit = int(d/time.Hour), "hour"
	case d < 30*24*time.Hour:
		n, unit = int(d/(24*time.Hour)), "day"
	case d < 365*24*time.Hour:
		n, unit = int(d/(30*24*time.Hour)), "month"
	default:
		n, unit = int(d/(365*24*time.Hour)), "year"
	}
	s := fmt.Sprintf("%d %s", n, unit)
	if n != 1 {
		s += "s"
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}
