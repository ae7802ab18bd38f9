package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// RequestActor returns an actor function for Config.Actor that records id,
// the request's remote address and its User-Agent: what the example
// server uses, with id "admin-token". The User-Agent is the client's to
// choose, so it is made to fit the log with FitActorText: whatever the
// audit log would refuse becomes U+FFFD, and it is cut to
// serviceaccount.MaxActorUserAgentLength characters.
func RequestActor(id string) func(r *http.Request) (serviceaccount.Actor, bool) {
	return func(r *http.Request) (serviceaccount.Actor, bool) {
		return serviceaccount.Actor{
			ID:        id,
			Address:   serviceaccount.FitActorText(r.RemoteAddr, store.MaxActorAddressLength),
			UserAgent: serviceaccount.FitActorText(r.UserAgent(), store.MaxActorUserAgentLength),
		}, true
	}
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
		id, err := serviceaccount.ParseIDFilter("serviceAccountId", q.Get("serviceAccountId"))
		if verr := (*serviceaccount.ValidationError)(nil); errors.As(err, &verr) {
			errs = append(errs, verr.Fields...)
		}
		p.ServiceAccountID = id
	}
	p.Action = serviceaccount.AuditAction(q.Get("action"))
	if q.Has("action") && !p.Action.Valid() {
		// Checked here as well as by the Manager, so that one answer lists
		// every bad parameter.
		bad("action", fmt.Sprintf("must be one of %s", store.AuditActionNames()))
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
	page, err := h.mgr(r).ListAuditEvents(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewAuditPage(tenantOf(r), page))
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
