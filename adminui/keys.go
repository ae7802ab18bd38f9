package adminui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// Keys: names, disable and enable, rotation, the policy's limits in the
// forms, and the hygiene list across accounts.

const (
	dialogRotateKey = "rotate-key"
	dialogRenameKey = "rename-key"
)

// graceChoices are the rotation grace periods offered, in seconds; those
// beyond the policy's maximum are left out.
var graceChoices = []struct {
	seconds int64
	label   string
}{
	{0, "None: the old key stops at once"},
	{3600, "1 hour"},
	{int64(serviceaccount.DefaultRotationGrace / time.Second), "24 hours"},
	{3 * 86400, "3 days"},
	{7 * 86400, "7 days"},
}

type graceOption struct {
	Seconds  int64
	Label    string
	Selected bool
}

// policyView is the Manager's policy as the key forms state it.
type policyView struct {
	KeyLimit       string // "2 of 10 keys in use", "" without a cap
	AtLimit        bool
	MaxDate        string // the last date an expiry may be picked, "" for none
	ExpiryRequired bool   // a key needs an expiry and no default gives one
	Note           string // what the policy asks of a new key's expiry
	Grace          []graceOption
}

func (h *handler) newPolicyView(p keyPolicy, keys []apikey.Key, now time.Time) policyView {
	var v policyView
	if p.MaxKeysPerAccount > 0 {
		active := 0
		for _, k := range keys {
			if !k.Expired(now) {
				active++
			}
		}
		v.KeyLimit = fmt.Sprintf("%d of %d keys in use (expired keys do not count).", active, p.MaxKeysPerAccount)
		v.AtLimit = active >= p.MaxKeysPerAccount
	}
	if p.MaxKeyLifetime > 0 {
		v.MaxDate = h.maxDate(p, now)
		v.ExpiryRequired = p.DefaultKeyLifetime == 0
		v.Note = fmt.Sprintf("Keys must expire within %s (by the end of %s).", days(p.MaxKeyLifetime), v.MaxDate)
	}
	if p.DefaultKeyLifetime > 0 {
		v.Note += fmt.Sprintf(" Without a date, the key expires after %s.", days(p.DefaultKeyLifetime))
	}
	for _, c := range graceChoices {
		if time.Duration(c.seconds)*time.Second <= p.MaxRotationGrace {
			v.Grace = append(v.Grace, graceOption{Seconds: c.seconds, Label: c.label,
				Selected: time.Duration(c.seconds)*time.Second == serviceaccount.DefaultRotationGrace})
		}
	}
	return v
}

// days says a lifetime in whole days, or hours below a day.
func days(d time.Duration) string {
	if d < 24*time.Hour {
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	n := int(d / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// rotateForm is the rotation dialog's input and errors.
type rotateForm struct {
	Key  keyView
	Name string
	// Expiry is the choice (expirySame, a number of days, or
	// expiryDate); SetExpiry is the older form's switch for a date.
	Expiry    string
	Choices   []expiryChoice
	SetExpiry bool
	ExpiresOn string
	Grace     string
	Restrict  restrictionForm
	Errors    fieldErrors
	Error     string
}

func (f rotateForm) Err(name string) string { return f.Errors[name] }

type renameForm struct {
	Key    keyView
	Name   string
	Errors fieldErrors
	Error  string
}

func (f renameForm) Err(name string) string { return f.Errors[name] }

func (h *handler) setKeyDisabled(disabled bool, done string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, keyID, err := childPath(r, "keyId")
		if err != nil {
			return err
		}
		if _, err := readForm(w, r); err != nil {
			return err
		}
		if _, err := h.mgr(r).PatchKey(h.changeContext(r), id, keyID, serviceaccount.KeyPatch{Disabled: &disabled}); err != nil {
			return err
		}
		redirect(w, r, h.base(r)+"/accounts/"+id.String(), done)
		return nil
	}
}

// childPath reads the account {id} and the id of the key or permission
// under it, named by the path value param.
func childPath(r *http.Request, param string) (id, childID uuid.UUID, err error) {
	id, err = pathID(r, "id")
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	childID, err = pathID(r, param)
	return id, childID, err
}

func (h *handler) renameKey(w http.ResponseWriter, r *http.Request) error {
	id, keyID, err := childPath(r, "keyId")
	if err != nil {
		return err
	}
	v, err := readForm(w, r, "name")
	if err != nil {
		return err
	}
	name := v.Get("name")
	_, err = h.mgr(r).PatchKey(h.changeContext(r), id, keyID, serviceaccount.KeyPatch{Name: &name})
	if errs, general, status, ok := formFailure(err); ok {
		st := accountState{open: dialogRenameKey, keyFor: keyID.String(), rename: &renameForm{Name: name, Errors: errs, Error: general}}
		return h.renderAccount(w, r, status, id, st)
	}
	if err != nil {
		return err
	}
	redirect(w, r, h.base(r)+"/accounts/"+id.String(), "key-renamed")
	return nil
}

// rotateKey answers like createKey: the page showing the new key, once.
func (h *handler) rotateKey(w http.ResponseWriter, r *http.Request) error {
	id, keyID, err := childPath(r, "keyId")
	if err != nil {
		return err
	}
	v, err := readForm(w, r, append([]string{"name?", "expiry?", "setExpiry?", "expiresOn?", "grace"}, restrictionFieldNames...)...)
	if err != nil {
		return err
	}
	form := rotateForm{Name: v.Get("name"), Expiry: v.Get("expiry"), SetExpiry: v.Has("setExpiry"), ExpiresOn: v.Get("expiresOn"), Grace: v.Get("grace")}
	restrict, rin, rerrs := restrictionsFrom(v)
	form.Restrict = restrict
	if form.SetExpiry || form.ExpiresOn != "" {
		form.Expiry = expiryDate // a typed date wins, as in the create form
	}
	fail := func(status int) error {
		return h.renderAccount(w, r, status, id, accountState{open: dialogRotateKey, keyFor: keyID.String(), rotate: &form})
	}
	if len(rerrs) > 0 {
		form.Errors = rerrs
		return fail(http.StatusBadRequest)
	}
	var in serviceaccount.RotateKeyInput
	if v.Has("name") {
		in.Name = &form.Name
	}
	if hasRestrictionFields(v) {
		// The dialog shows the old key's restrictions: what it sends
		// replaces them, each whole, on the new key.
		in.Scopes, in.AllowedCIDRs, in.RateLimit, in.Metadata = &rin.scopes, &rin.cidrs, &rin.rateLimit, &rin.metadata
	}
	grace, err := strconv.ParseInt(form.Grace, 10, 64)
	if err != nil {
		form.Errors = fieldErrors{"grace": "Choose how long the old key keeps working."}
		return fail(http.StatusBadRequest)
	}
	in.GracePeriodSeconds = &grace
	pol, err := h.keyPolicyOf(r)
	if err != nil {
		return err
	}
	at, field, msg := h.expiryOf(pol, form.Expiry, form.ExpiresOn)
	if msg != "" {
		form.Errors = fieldErrors{field: msg}
		return fail(http.StatusBadRequest)
	}
	in.ExpiresAt = at
	rotated, err := h.mgr(r).RotateKey(h.changeContext(r), id, keyID, in)
	if errs, general, status, ok := formFailure(err); ok {
		if form.Expiry == expiryDate {
			renameField(errs, "expiresAt", "expiresOn")
		} else {
			renameField(errs, "expiresAt", "expiry")
		}
		renameField(errs, "gracePeriodSeconds", "grace")
		form.Errors, form.Error = errs, general
		return fail(status)
	}
	if err != nil {
		return err
	}
	accountURL := h.base(r) + "/accounts/" + id.String()
	now := h.m.Clock().Now()
	nk := &createdKeyView{
		Plaintext: rotated.Created.Plaintext,
		Key:       newKeyView(accountURL, rotated.Created.Key, now, h.opts.Location),
	}
	prev := newKeyView(accountURL, rotated.Previous, now, h.opts.Location)
	nk.Previous = &prev
	return h.renderAccount(w, r, http.StatusCreated, id, accountState{open: dialogNewKey, newKey: nk})
}

func renameField(errs fieldErrors, from, to string) {
	if msg, ok := errs[from]; ok {
		errs[to] = msg
		delete(errs, from)
	}
}

// hygieneData is the list of keys to rotate or remove, across accounts.
type hygieneData struct {
	layout
	ExpiresWithinDays string
	UnusedForDays     string
	Errors            fieldErrors
	Keys              []hygieneKey
	NextURL           string
	Filtered          bool
}

func (d hygieneData) Err(name string) string { return d.Errors[name] }

type hygieneKey struct {
	keyView
	Account accountView
}

// hygienePage lists keys expiring soon or unused for long, with their
// accounts, newest filters in the query so the list can be bookmarked.
func (h *handler) hygienePage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	base := h.base(r)
	data := hygieneData{
		layout:            h.layout(r, base, "API key hygiene", ""),
		ExpiresWithinDays: q.Get("expiresWithinDays"),
		UnusedForDays:     q.Get("unusedForDays"),
		Errors:            fieldErrors{},
	}
	p := serviceaccount.ListAllKeysParams{Cursor: q.Get("cursor")}
	for _, f := range []struct {
		name, value string
		dst         **int
	}{
		{"expiresWithinDays", data.ExpiresWithinDays, &p.ExpiresWithinDays},
		{"unusedForDays", data.UnusedForDays, &p.UnusedForDays},
	} {
		if f.value == "" {
			continue
		}
		n, err := strconv.Atoi(f.value)
		if err != nil {
			data.Errors[f.name] = "Must be a whole number of days."
			continue
		}
		*f.dst = &n
		data.Filtered = true
	}
	status := http.StatusOK
	if len(data.Errors) == 0 {
		page, err := h.mgr(r).ListAllKeys(r.Context(), p)
		if errs, _, st, ok := formFailure(err); ok {
			data.Errors, status = errs, st
		} else if err != nil {
			return err
		} else {
			if err := h.fillHygiene(r, &data, page.Items); err != nil {
				return err
			}
			if page.NextCursor != "" {
				next := url.Values{"cursor": {page.NextCursor}}
				for _, k := range []string{"expiresWithinDays", "unusedForDays"} {
					if v := q.Get(k); v != "" {
						next.Set(k, v)
					}
				}
				data.NextURL = base + "/keys?" + next.Encode()
			}
		}
	} else {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "hygiene", data)
	return nil
}

func (h *handler) fillHygiene(r *http.Request, data *hygieneData, keys []apikey.Key) error {
	base := data.Base
	now := h.m.Clock().Now()
	accounts := map[uuid.UUID]accountView{}
	for _, k := range keys {
		av, ok := accounts[k.AccountID]
		if !ok {
			a, err := h.mgr(r).Account(r.Context(), k.AccountID)
			if err != nil {
				// Deleted since the list was read: leave the key out.
				continue
			}
			av = newAccountView(base, a, h.m.Clock().Now(), h.opts.Location)
			accounts[k.AccountID] = av
		}
		data.Keys = append(data.Keys, hygieneKey{keyView: newKeyView(av.URL, k, now, h.opts.Location), Account: av})
	}
	return nil
}
