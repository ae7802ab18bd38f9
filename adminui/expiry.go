package adminui

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// A new key's expiry is picked as people think of it: in 7, 30 or 90
// days, on a date (the end of that day in the page's time zone, UTC
// unless Options.Location says otherwise), or never, with a warning.

// Values of the create-key form's "expiry" choice besides the presets.
const (
	expiryNever = "never" // no expiry, or the policy's default lifetime
	expiryDate  = "date"
	// expirySame is the rotation dialog's first choice: the new key gets
	// the lifetime the old one was created with (the Manager's rule).
	expirySame = "same"
)

var expiryPresetDays = []int{7, 30, 90}

type expiryChoice struct {
	Value    string
	Label    string
	Selected bool
}

// expiryChoices lists what the policy allows, selected marks the person's
// choice, or for a fresh form the policy's default, else 90 days.
func (h *handler) expiryChoices(p keyPolicy, now time.Time, selected string) []expiryChoice {
	var out []expiryChoice
	if p.DefaultKeyLifetime > 0 {
		out = append(out, expiryChoice{Value: expiryNever, Label: "The policy's default: " + days(p.DefaultKeyLifetime)})
	} else if p.MaxKeyLifetime == 0 {
		out = append(out, expiryChoice{Value: expiryNever, Label: "Never (not recommended)"})
	}
	for _, n := range expiryPresetDays {
		d := time.Duration(n) * 24 * time.Hour
		if p.MaxKeyLifetime > 0 && d > p.MaxKeyLifetime {
			continue
		}
		out = append(out, expiryChoice{Value: strconv.Itoa(n),
			Label: fmt.Sprintf("In %d days (%s)", n, now.Add(d).In(h.opts.Location).Format("Jan 2, 2006"))})
	}
	out = append(out, expiryChoice{Value: expiryDate, Label: "On a date…"})
	if selected == "" {
		selected = "90"
		if p.DefaultKeyLifetime > 0 {
			selected = expiryNever
		}
	}
	found := false
	for i := range out {
		if out[i].Value == selected {
			out[i].Selected, found = true, true
		}
	}
	if !found {
		out[len(out)-1].Selected = true // on a date
	}
	return out
}

// rotationExpiryChoices are the rotation dialog's: the old key's
// lifetime (the default), the presets the policy allows, or a date. No
// "never": a rotation keeps the old key's lifetime, which is "never" only
// when the old key never expired.
func (h *handler) rotationExpiryChoices(p keyPolicy, now time.Time, selected string) []expiryChoice {
	out := []expiryChoice{{Value: expirySame, Label: "As long as the old key was given"}}
	for _, c := range h.expiryChoices(p, now, selected) {
		if c.Value != expiryNever {
			out = append(out, c)
		}
	}
	if selected == "" {
		selected = expirySame
	}
	for i := range out {
		out[i].Selected = out[i].Value == selected
	}
	return out
}

// resolveExpiry turns the create-key form's choice into an expiry (nil:
// none chosen, the Manager applies the policy), or a message for the
// field that is wrong. A filled-in date wins over the choice: without
// JavaScript both fields show, and a typed date is what was meant.
func (h *handler) resolveExpiry(p keyPolicy, f *keyForm) (at *time.Time, field, msg string) {
	if f.SetExpiry || f.ExpiresOn != "" {
		f.Expiry = expiryDate
	}
	return h.expiryOf(p, f.Expiry, f.ExpiresOn)
}

// expiryOf turns an expiry choice and a date into an expiry, as
// resolveExpiry describes; "same" (the rotation dialog's) and "never"
// choose none, leaving it to the Manager.
func (h *handler) expiryOf(p keyPolicy, choice, expiresOn string) (at *time.Time, field, msg string) {
	switch choice {
	case "", expiryNever, expirySame:
		return nil, "", ""
	case expiryDate:
		t, msg := h.parseDate(p, expiresOn)
		if msg != "" {
			return nil, "expiresOn", msg
		}
		return &t, "", ""
	}
	for _, n := range expiryPresetDays {
		if choice == strconv.Itoa(n) {
			t := h.m.Clock().Now().Add(time.Duration(n) * 24 * time.Hour)
			return &t, "", ""
		}
	}
	return nil, "expiry", "Choose one of the offered expirations."
}

// parseDate reads an expiry date: the key works until the end of that day
// in the page's time zone. Today and earlier dates are refused, and so is
// a date past the policy's maximum lifetime.
func (h *handler) parseDate(p keyPolicy, s string) (time.Time, string) {
	if s == "" {
		return time.Time{}, "Choose the expiration date, or choose another expiration above."
	}
	day, err := time.ParseInLocation(dateLayout, s, h.opts.Location)
	if err != nil {
		return time.Time{}, "Enter the date as year-month-day, such as 2030-01-31."
	}
	now := h.m.Clock().Now()
	if s < h.minDate(now) {
		return time.Time{}, "Choose a date after today."
	}
	if last := h.maxDate(p, now); last != "" && s > last {
		return time.Time{}, fmt.Sprintf("Choose %s or earlier: the policy lets a key live at most %s.", last, days(p.MaxKeyLifetime))
	}
	return endOfDay(day), ""
}

// endOfDay is the last second of the day that starts at day.
func endOfDay(day time.Time) time.Time {
	return day.AddDate(0, 0, 1).Add(-time.Second)
}

// minDate is the first date an expiry may be picked for: tomorrow.
func (h *handler) minDate(now time.Time) string {
	return now.In(h.opts.Location).AddDate(0, 0, 1).Format(dateLayout)
}

// maxDate is the last date whose end lies within the policy's maximum key
// lifetime, "" without one.
func (h *handler) maxDate(p keyPolicy, now time.Time) string {
	maxLife := p.MaxKeyLifetime
	if maxLife == 0 {
		return ""
	}
	limit := now.Add(maxLife).In(h.opts.Location)
	day := time.Date(limit.Year(), limit.Month(), limit.Day(), 0, 0, 0, 0, h.opts.Location)
	if endOfDay(day).After(limit) {
		day = day.AddDate(0, 0, -1)
	}
	return day.Format(dateLayout)
}

// keyFormFrom reads the create-key form's fields as typed.
func keyFormFrom(v url.Values) keyForm {
	return keyForm{Name: v.Get("name"), Expiry: v.Get("expiry"), SetExpiry: v.Has("setExpiry"), ExpiresOn: v.Get("expiresOn")}
}

// zoneName is the page's time zone as the forms state it.
func (h *handler) zoneName() string {
	if h.opts.Location == time.UTC {
		return "UTC"
	}
	return h.opts.Location.String()
}
