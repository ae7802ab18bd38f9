package adminui

import (
	"encoding/json"
	"time"
)

// fieldChange is one field an audit event changed, as the activity list
// shows it: "Name: Nightly → Nightly export".
type fieldChange struct {
	Field  string
	Before string
	After  string
}

// changeFields are the fields of an event's before and after that the
// activity list compares, in the order it shows them, with their names as
// the page says them. Ids and hints name the record (eventSubject) and
// never change.
var changeFields = []struct{ key, label string }{
	{"label", "Label"},
	{"description", "Description"},
	{"name", "Name"},
	{"expiresAt", "Expires at"},
	{"disabledAt", "Disabled"},
	{"replacedBy", "Replaced by"},
	{"limiter", "Limiter"},
}

// eventChanges lists the fields whose value differs between the event's
// before and after; a creation or deletion, with only one side, has none
// (its subject says what it is).
func eventChanges(raw json.RawMessage, loc *time.Location) []fieldChange {
	var d struct {
		Before map[string]json.RawMessage `json:"before"`
		After  map[string]json.RawMessage `json:"after"`
	}
	if json.Unmarshal(raw, &d) != nil || d.Before == nil || d.After == nil {
		return nil
	}
	var out []fieldChange
	for _, f := range changeFields {
		b, inBefore := d.Before[f.key]
		a, inAfter := d.After[f.key]
		if !inBefore && !inAfter {
			continue
		}
		before, after := changeValue(f.key, b, loc), changeValue(f.key, a, loc)
		if before == after {
			continue
		}
		out = append(out, fieldChange{Field: f.label, Before: before, After: after})
	}
	return out
}

// changeValue says one side of a change: "none" for null or empty, a
// time in the page's zone, "yes" for a disabledAt that is set, the JSON
// of a limiter.
func changeValue(key string, raw json.RawMessage, loc *time.Location) string {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		if key == "disabledAt" {
			return "no"
		}
		return "none"
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return string(raw) // a limiter, or its summary: JSON
	}
	switch key {
	case "disabledAt":
		return "yes"
	case "expiresAt":
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.In(loc).Format("2006-01-02 15:04 MST")
		}
	}
	return s
}
