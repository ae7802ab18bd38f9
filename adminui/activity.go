package adminui

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// recentActivity is how many events the account page shows; the activity
// page pages through all of them.
const recentActivity = 10

// actionLabels say each audit action in words.
var actionLabels = map[serviceaccount.AuditAction]string{
	store.ActionAccountCreate:    "Account created",
	store.ActionAccountUpdate:    "Account updated",
	store.ActionAccountDisable:   "Account disabled",
	store.ActionAccountEnable:    "Account enabled",
	store.ActionAccountDelete:    "Account deleted",
	store.ActionKeyCreate:        "API key created",
	store.ActionKeyUpdate:        "API key updated",
	store.ActionKeyDisable:       "API key disabled",
	store.ActionKeyEnable:        "API key enabled",
	store.ActionKeyRotate:        "API key rotated",
	store.ActionKeyDelete:        "API key deleted",
	store.ActionKeyLeaked:        "API key reported leaked",
	store.ActionPermissionCreate: "Permission added",
	store.ActionPermissionUpdate: "Limiter changed",
	store.ActionPermissionDelete: "Permission deleted",
}

type eventView struct {
	OccurredAt *timeView
	Action     string
	Actor      string // the actor's id, "" when unknown
	Address    string
	What       string // the key's hint, the permission, the label
	Changes    []fieldChange
}

func (h *handler) newEventView(e serviceaccount.AuditEvent) eventView {
	v := eventView{OccurredAt: newTimeView(&e.OccurredAt, h.m.Clock().Now(), h.opts.Location), Action: actionLabels[e.Action], What: eventSubject(e.Details),
		Changes: eventChanges(e.Details, h.opts.Location)}
	if v.Action == "" {
		v.Action = string(e.Action)
	}
	if e.Actor != nil {
		v.Actor, v.Address = e.Actor.ID, e.Actor.Address
	}
	return v
}

// eventSubject names what an event is about from its details (the state
// after the change, or before it for a deletion): a key by its hint, a
// permission by its tuple, an account by its label. Details never hold a
// key or a hash, so nothing secret can show here.
func eventSubject(raw json.RawMessage) string {
	var d struct {
		Before map[string]any `json:"before"`
		After  map[string]any `json:"after"`
	}
	if json.Unmarshal(raw, &d) != nil {
		return ""
	}
	m := d.After
	if m == nil {
		m = d.Before
	}
	str := func(k string) string {
		s, _ := m[k].(string)
		return s
	}
	switch {
	case str("hint") != "":
		return str("hint")
	case str("resourceType") != "":
		s := str("resourceType") + " " + str("resourceKey") + " · " + str("action")
		if l, ok := m["limiter"]; ok && l != nil {
			if b, err := json.Marshal(l); err == nil {
				s += " " + string(b)
			}
		}
		return s
	default:
		return str("label")
	}
}

// recentEvents lists the newest events of an account for its page.
func (h *handler) recentEvents(r *http.Request, id uuid.UUID) ([]eventView, string, error) {
	page, err := h.mgr(r).ListAuditEvents(r.Context(), serviceaccount.ListAuditEventsParams{ServiceAccountID: id, Limit: recentActivity})
	if err != nil {
		return nil, "", err
	}
	var out []eventView
	for _, e := range page.Items {
		out = append(out, h.newEventView(e))
	}
	more := ""
	if page.NextCursor != "" {
		more = h.base(r) + "/accounts/" + id.String() + "/activity"
	}
	return out, more, nil
}

type activityData struct {
	layout
	Account accountView
	Events  []eventView
	NextURL string
}

// activityPage pages through every event of an account, newest first. The
// events outlive the account, but the page needs it for its heading.
func (h *handler) activityPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := h.mgr(r).Account(r.Context(), id)
	if err != nil {
		return err
	}
	page, err := h.mgr(r).ListAuditEvents(r.Context(), serviceaccount.ListAuditEventsParams{ServiceAccountID: id, Cursor: r.URL.Query().Get("cursor")})
	if errs, _, _, ok := formFailure(err); ok && len(errs) > 0 {
		// A cursor that is not ours: the first page.
		page, err = h.mgr(r).ListAuditEvents(r.Context(), serviceaccount.ListAuditEventsParams{ServiceAccountID: id})
	}
	if err != nil {
		return err
	}
	base := h.base(r)
	data := activityData{layout: h.layout(r, base, "Activity of "+a.Label, ""), Account: newAccountView(base, a, h.m.Clock().Now(), h.opts.Location)}
	for _, e := range page.Items {
		data.Events = append(data.Events, h.newEventView(e))
	}
	if page.NextCursor != "" {
		data.NextURL = data.Account.URL + "/activity?" + url.Values{"cursor": {page.NextCursor}}.Encode()
	}
	h.render(w, r, http.StatusOK, "activity", data)
	return nil
}
