package adminui

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// policyForm is the tenant's policy as the form shows and takes it:
// lifetimes in days and the rotation grace in hours, the units people
// pick them in, rather than the seconds the admin API uses.
type policyForm struct {
	MaxKeys         string
	MaxLifetimeDays string
	DefaultDays     string
	GraceHours      string
	LeakedKeyAction string
	UnusedKeyDays   string
	Errors          fieldErrors
	Error           string
}

func (f policyForm) Err(name string) string { return f.Errors[name] }

type policyData struct {
	layout
	Form policyForm
	// Stored: the tenant has its own policy; otherwise the database-wide
	// default governs it until the form is saved.
	Stored bool
}

// The policy form's fields, by the Manager's names for them.
var policyFields = map[string]string{
	"maxKeysPerAccount":         "maxKeys",
	"maxKeyLifetimeSeconds":     "maxLifetimeDays",
	"defaultKeyLifetimeSeconds": "defaultDays",
	"maxRotationGraceSeconds":   "graceHours",
	"leakedKeyAction":           "leakedKeyAction",
	"unusedKeyDays":             "unusedKeyDays",
}

// unitText shows d in unit, as a whole number when it is one.
func unitText(d, unit time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(unit), 'f', -1, 64)
}

func policyFormOf(p serviceaccount.TenantPolicy) policyForm {
	return policyForm{
		MaxKeys:         strconv.Itoa(p.MaxKeysPerAccount),
		MaxLifetimeDays: unitText(p.MaxKeyLifetime, 24*time.Hour),
		DefaultDays:     unitText(p.DefaultKeyLifetime, 24*time.Hour),
		GraceHours:      unitText(p.MaxRotationGrace, time.Hour),
		LeakedKeyAction: p.LeakedKeyAction,
		UnusedKeyDays:   strconv.Itoa(p.UnusedKeyDays),
	}
}

func (h *handler) policyPage(w http.ResponseWriter, r *http.Request) error {
	p, stored, err := h.mgr(r).EffectivePolicy(r.Context())
	if err != nil {
		return err
	}
	return h.renderPolicy(w, r, http.StatusOK, policyFormOf(p), stored, notices[r.URL.Query().Get("done")])
}

func (h *handler) renderPolicy(w http.ResponseWriter, r *http.Request, status int, form policyForm, stored bool, notice string) error {
	h.render(w, r, status, "policy", policyData{layout: h.layout(r, h.base(r), "Key policy", notice), Form: form, Stored: stored})
	return nil
}

// savePolicy stores the form as the tenant's policy, through the Manager,
// which audits it (policy.update).
func (h *handler) savePolicy(w http.ResponseWriter, r *http.Request) error {
	v, err := readForm(w, r, "maxKeys", "maxLifetimeDays", "defaultDays", "graceHours", "leakedKeyAction", "unusedKeyDays")
	if err != nil {
		return err
	}
	form := policyForm{
		MaxKeys: v.Get("maxKeys"), MaxLifetimeDays: v.Get("maxLifetimeDays"), DefaultDays: v.Get("defaultDays"),
		GraceHours: v.Get("graceHours"), LeakedKeyAction: v.Get("leakedKeyAction"), UnusedKeyDays: v.Get("unusedKeyDays"),
		Errors: fieldErrors{},
	}
	var p serviceaccount.TenantPolicy
	p.MaxKeysPerAccount = wholeNumber(form.Errors, "maxKeys", form.MaxKeys)
	p.MaxKeyLifetime = duration(form.Errors, "maxLifetimeDays", form.MaxLifetimeDays, 24*time.Hour, "days")
	p.DefaultKeyLifetime = duration(form.Errors, "defaultDays", form.DefaultDays, 24*time.Hour, "days")
	p.MaxRotationGrace = duration(form.Errors, "graceHours", form.GraceHours, time.Hour, "hours")
	p.UnusedKeyDays = wholeNumber(form.Errors, "unusedKeyDays", form.UnusedKeyDays)
	switch form.LeakedKeyAction {
	case store.LeakedKeyDisable, store.LeakedKeyDelete:
		p.LeakedKeyAction = form.LeakedKeyAction
	default:
		form.Errors["leakedKeyAction"] = "Choose what a leaked key's report does: disable the key or delete it."
	}
	_, stored, err := h.mgr(r).EffectivePolicy(r.Context())
	if err != nil {
		return err
	}
	if len(form.Errors) > 0 {
		return h.renderPolicy(w, r, http.StatusBadRequest, form, stored, "")
	}
	_, err = h.mgr(r).SetPolicy(h.changeContext(r), p)
	var verr *serviceaccount.ValidationError
	if errors.As(err, &verr) {
		for _, f := range verr.Fields {
			name := policyFields[f.Field]
			if name == "" {
				form.Error = sentence(f.Field + " " + f.Message)
				continue
			}
			form.Errors[name] = policyAdvice(f.Field, f.Message)
		}
		return h.renderPolicy(w, r, http.StatusBadRequest, form, stored, "")
	}
	if err != nil {
		return err
	}
	redirect(w, r, h.base(r)+"/policy", "policy-saved")
	return nil
}

// policyAdvice turns the Manager's message about a policy field, which
// speaks in seconds, into a sentence in the form's units.
func policyAdvice(field, msg string) string {
	switch {
	case field == "defaultKeyLifetimeSeconds" && strings.HasPrefix(msg, "must not exceed"):
		return "Choose a default lifetime no longer than the maximum lifetime."
	case strings.HasPrefix(msg, "must be at most"):
		return "Choose a shorter time: at most 100 years."
	case strings.HasPrefix(msg, "must not be negative"):
		return "Enter 0 or more; 0 means no limit."
	case field == "unusedKeyDays":
		return fmt.Sprintf("Enter a number of days from 0 (no notices) to %d.", serviceaccount.MaxFilterDays)
	}
	return sentence(msg)
}

// wholeNumber reads a count of at least 0; a problem goes into errs.
func wholeNumber(errs fieldErrors, name, s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		errs[name] = "Enter a whole number, 0 or more; 0 means no limit."
		return 0
	}
	return n
}

// duration reads a number of units (decimals allowed, as the page shows a
// stored value that is not whole) and rounds it to the second.
func duration(errs fieldErrors, name, s string, unit time.Duration, unitName string) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > float64(36500*24*time.Hour)/float64(unit) {
		errs[name] = fmt.Sprintf("Enter a number of %s, 0 or more (at most 100 years); 0 means no limit.", unitName)
		return 0
	}
	return time.Duration(math.Round(f*float64(unit)/float64(time.Second))) * time.Second
}

// keyPolicy is the policy the key dialogs follow: the tenant's effective
// one, stored in the database, which the Manager enforces, so the
// choices offered are the ones it accepts.
type keyPolicy = serviceaccount.TenantPolicy

// keyPolicyOf reads the effective policy of the request's tenant.
func (h *handler) keyPolicyOf(r *http.Request) (keyPolicy, error) {
	p, _, err := h.mgr(r).EffectivePolicy(r.Context())
	return p, err
}
