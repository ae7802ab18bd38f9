package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// policy answers GET /policy: the policy that governs the tenant, stored
// in the database (its own, or the database-wide default), so that a
// client can tell a refusal before it asks.
func (h *handler) policy(w http.ResponseWriter, r *http.Request) error {
	p, stored, err := h.mgr(r).EffectivePolicy(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewStoredPolicy(p, stored))
}

// setPolicy answers PUT /policy: the tenant's own policy, replacing the
// default for it. Every instance and the CLI enforce it from the next key
// they issue.
func (h *handler) setPolicy(w http.ResponseWriter, r *http.Request) error {
	in, err := readPolicy(w, r)
	if err != nil {
		return err
	}
	p, err := h.mgr(r).SetPolicy(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewStoredPolicy(p, true))
}

// defaultPolicy answers GET /policy/defaults: the database-wide default
// policy, which governs every tenant without its own.
func (h *handler) defaultPolicy(w http.ResponseWriter, r *http.Request) error {
	m, err := h.tenantManager(r, store.DefaultTenant)
	if err != nil {
		return err
	}
	p, err := m.DefaultPolicy(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewTenantPolicy(p))
}

// setDefaultPolicy answers PUT /policy/defaults. It changes the policy of
// every tenant without its own, so only an administrator allowed in the
// default tenant may (see Config.TenantAllowed); the change is audited in
// the default tenant's log.
func (h *handler) setDefaultPolicy(w http.ResponseWriter, r *http.Request) error {
	m, err := h.tenantManager(r, store.DefaultTenant)
	if err != nil {
		return err
	}
	in, err := readPolicy(w, r)
	if err != nil {
		return err
	}
	p, err := m.SetDefaultPolicy(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewTenantPolicy(p))
}

// readPolicy reads a policy body: the four limits are required (0 = none),
// leakedKeyAction ("disable" by default) and unusedKeyDays (90 by
// default) are optional.
func readPolicy(w http.ResponseWriter, r *http.Request) (serviceaccount.TenantPolicy, error) {
	var (
		maxKeys, maxLife, defaultLife, maxGrace, unusedDays *int64
		action                                              *string
	)
	fields := []field{
		countField("maxKeysPerAccount", &maxKeys),
		countField("maxKeyLifetimeSeconds", &maxLife),
		countField("defaultKeyLifetimeSeconds", &defaultLife),
		countField("maxRotationGraceSeconds", &maxGrace),
		optionalStringField("leakedKeyAction", &action, false),
		countField("unusedKeyDays", &unusedDays),
	}
	if _, err := readBody(w, r, false, fields...); err != nil {
		return serviceaccount.TenantPolicy{}, err
	}
	var missing []serviceaccount.FieldError
	for _, f := range []struct {
		name string
		v    *int64
	}{{"maxKeysPerAccount", maxKeys}, {"maxKeyLifetimeSeconds", maxLife}, {"defaultKeyLifetimeSeconds", defaultLife}, {"maxRotationGraceSeconds", maxGrace}} {
		if f.v == nil {
			missing = append(missing, serviceaccount.FieldError{Field: f.name, Message: "is required (0 means none)"})
		}
	}
	if len(missing) > 0 {
		return serviceaccount.TenantPolicy{}, invalidFields(missing)
	}
	p := serviceaccount.TenantPolicy{
		MaxKeysPerAccount:  int(*maxKeys),
		MaxKeyLifetime:     seconds(*maxLife),
		DefaultKeyLifetime: seconds(*defaultLife),
		MaxRotationGrace:   seconds(*maxGrace),
		LeakedKeyAction:    string(serviceaccount.LeakedKeyDisable),
		UnusedKeyDays:      serviceaccount.DefaultUnusedKeyDays,
	}
	if action != nil {
		p.LeakedKeyAction = *action
	}
	if unusedDays != nil {
		p.UnusedKeyDays = int(*unusedDays)
	}
	return p, nil
}

// maxPolicyCount bounds an integer of a policy body before it is turned
// into a duration or an int: the Manager names the field when a value is
// out of its range, and no value may overflow on the way there.
const maxPolicyCount = 1 << 40

// countField accepts a JSON integer from 0 to maxPolicyCount.
func countField(name string, dst **int64) field {
	f := integerField(name, dst)
	return field{name, func(raw json.RawMessage) string {
		if msg := f.set(raw); msg != "" {
			return "must be an integer"
		}
		if **dst < 0 || **dst > maxPolicyCount {
			*dst = nil
			return fmt.Sprintf("must be an integer from 0 (none) to %d", int64(maxPolicyCount))
		}
		return ""
	}}
}

func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// listTenants answers GET /tenants: one page of the tenants that hold
// accounts or a stored policy, by id, without those Config.TenantAllowed
// refuses (a page may then hold fewer than limit; follow nextCursor).
func (h *handler) listTenants(w http.ResponseWriter, r *http.Request) error {
	var p serviceaccount.ListTenantsParams
	var err error
	if p.Limit, p.Cursor, err = pageQuery(r.URL.Query()); err != nil {
		return err
	}
	page, err := h.m.ListTenants(r.Context(), p)
	if err != nil {
		return err
	}
	var keep func(string) bool
	if h.allowed != nil {
		keep = func(id string) bool { return h.allowed(r, id) }
	}
	return writeJSON(w, http.StatusOK, apijson.NewTenantPage(page, keep))
}
