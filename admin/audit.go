package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// RequestActor returns an actor function for Config.Actor that records id,
// the request's remote address and its User-Agent: what the example
// server uses, with id "admin-token". The User-Agent is the client's to
// choose, so it is made to fit the log: invalid UTF-8 and control
// characters become U+FFFD, and it is cut to
// store.MaxActorUserAgentLength characters.
func RequestActor(id string) func(r *http.Request) (serviceaccount.Actor, bool) {
	return func(r *http.Request) (serviceaccount.Actor, bool) {
		return serviceaccount.Actor{
			ID:        id,
			Address:   FitActorText(r.RemoteAddr, store.MaxActorAddressLength),
			UserAgent: FitActorText(r.UserAgent(), store.MaxActorUserAgentLength),
		}, true
	}
}

// FitActorText makes text from outside (a request header, a host or
// user name) storable in an Actor field: valid UTF-8, one line (control
// characters become U+FFFD), at most limit characters. It is exported so
// that every producer of actors (the admin API, the CLI) fits them alike.
func FitActorText(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit])
	}
	return s
}

// auditQueryParameters are the parameters of GET /audit-events; any other
// is a 400, so that a misspelt filter cannot silently widen the answer.
var auditQueryParameters = []string{"serviceAccountId", "action", "actorId", "since", "until", "limit", "cursor"}

func (h *handler) listAuditEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var errs []serviceaccount.FieldError
	bad := func(field, message string) {
		errs = append(errs, serviceaccount.FieldError{Field: field, Message: message})
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for name := range q {
			if !yield(name) {
				return
			}
		}
	}) {
		switch {
		case !slices.Contains(auditQueryParameters, name):
			bad(clip(name), "is not a known parameter; allowed: "+strings.Join(auditQueryParameters, ", "))
		case len(q[name]) > 1:
			bad(name, "must be given at most once")
		case q.Get(name) == "" && name != "cursor":
			bad(name, "must not be empty; leave it out to not filter by it")
		}
	}
	if len(errs) > 0 {
		return invalidFields(errs)
	}

	var p serviceaccount.ListAuditEventsParams
	if q.Has("serviceAccountId") {
		id, ok := parseUUID(q.Get("serviceAccountId"))
		if !ok {
			bad("serviceAccountId", "must be a service account id (a UUID such as 0192f0c1-7a3b-7c4d-8e5f-0123456789ab)")
		}
		p.ServiceAccountID = id
	}
	p.Action = serviceaccount.AuditAction(q.Get("action"))
	if q.Has("action") && !p.Action.Valid() {
		// Checked here as well as by the Manager, so that one answer lists
		// every bad parameter.
		bad("action", fmt.Sprintf("must be one of %s", AuditActionNames()))
	}
	p.ActorID = q.Get("actorId")
	p.Since = queryTime(q, "since", bad)
	p.Until = queryTime(q, "until", bad)
	if q.Has("limit") {
		n, ok := digits(q.Get("limit"))
		if !ok || n < 1 || n > serviceaccount.MaxPageSize {
			bad("limit", fmt.Sprintf("must be an integer from 1 to %d", serviceaccount.MaxPageSize))
		}
		p.Limit = n
	}
	p.Cursor = q.Get("cursor")
	if len(errs) > 0 {
		return invalidFields(errs)
	}
	page, err := h.m.ListAuditEvents(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newAuditPageJSON(page))
}

// AuditActionNames lists the valid audit actions, comma-separated: what
// a bad action filter is told to choose from, here and in the CLI.
func AuditActionNames() string {
	var names []string
	for _, a := range store.AuditActions() {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ")
}

// parseUUID accepts only the canonical 36-character form, as pathID does.
func parseUUID(s string) (uuid.UUID, bool) {
	if len(s) != 36 {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(s)
	return id, err == nil
}

func queryTime(q url.Values, name string, bad func(field, message string)) *time.Time {
	if !q.Has(name) {
		return nil
	}
	t, problem := parseTime(q.Get(name), "must be an RFC 3339 date-time such as 2030-01-31T00:00:00Z (in a URL, write + in an offset as %2B)")
	if problem != "" {
		bad(name, problem)
		return nil
	}
	return &t
}

type actorJSON struct {
	ID        string `json:"id"`
	Address   string `json:"address"`
	UserAgent string `json:"userAgent"`
}

type auditEventJSON struct {
	ID               string          `json:"id"`
	OccurredAt       string          `json:"occurredAt"`
	Actor            *actorJSON      `json:"actor"`
	Action           string          `json:"action"`
	ServiceAccountID string          `json:"serviceAccountId"`
	TargetID         *string         `json:"targetId"`
	Details          json.RawMessage `json:"details"`
}

func newAuditEventJSON(e serviceaccount.AuditEvent) auditEventJSON {
	out := auditEventJSON{
		ID:               e.ID.String(),
		OccurredAt:       formatTime(e.OccurredAt),
		Action:           string(e.Action),
		ServiceAccountID: e.ServiceAccountID.String(),
		Details:          e.Details,
	}
	if e.Actor != nil {
		out.Actor = &actorJSON{ID: e.Actor.ID, Address: e.Actor.Address, UserAgent: e.Actor.UserAgent}
	}
	if e.TargetID != nil {
		s := e.TargetID.String()
		out.TargetID = &s
	}
	if !json.Valid(out.Details) {
		// A store row edited by hand must not break the whole page.
		out.Details = json.RawMessage("null")
	}
	return out
}

type auditPageJSON struct {
	Items      []auditEventJSON `json:"items"`
	NextCursor *string          `json:"nextCursor"`
}

func newAuditPageJSON(page serviceaccount.AuditEventPage) auditPageJSON {
	out := auditPageJSON{Items: make([]auditEventJSON, len(page.Items))}
	for i, e := range page.Items {
		out.Items[i] = newAuditEventJSON(e)
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return out
}
