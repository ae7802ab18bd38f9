package adminui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// notices are the outcomes a redirect reports through ?done=; only these
// fixed texts are ever shown, so the query cannot inject a message.
var notices = map[string]string{
	"account-created":        "Service account created.",
	"account-updated":        "Service account updated.",
	"account-deleted":        "Service account deleted.",
	"key-deleted":            "API key deleted.",
	"permission-added":       "Permission added.",
	"limiter-saved":          "Limiter saved.",
	"permission-deleted":     "Permission deleted.",
	"account-disabled":       "Service account disabled: none of its keys authenticates until it is enabled.",
	"account-enabled":        "Service account enabled.",
	"key-disabled":           "API key disabled.",
	"key-enabled":            "API key enabled.",
	"key-renamed":            "API key name saved.",
	"key-restrictions-saved": "API key restrictions saved; they apply from the next request on.",
	"webhook-deleted":        "Webhook deleted.",
	"policy-saved":           "Policy saved.",
}

// Dialog names, used as element ids, in ?dialog= links that open a dialog
// without JavaScript, and by app.js.
const (
	dialogCreateAccount = "create-account"
	dialogCreateKey     = "create-key"
	dialogNewKey        = "new-key"
	dialogAddPermission = "add-permission"
	dialogEditLimiter   = "edit-limiter"
	dialogDeleteAccount = "delete-account"
	// The confirmations of a key's or a permission's deletion, naming what
	// goes; the delete itself is a POST from the dialog.
	dialogDeleteKey        = "delete-key"
	dialogDeletePermission = "delete-permission"
)

// listPageSize is how many accounts a page of the list shows.
const listPageSize = 50

type listData struct {
	layout
	// Query is the label search as typed; QueryError what is wrong with it.
	Query      string
	QueryError string
	Accounts   []accountCard
	NextURL    string
	CreateOpen bool
	Create     accountForm
}

// accountForm is the label and description as typed, with what is wrong
// with them.
type accountForm struct {
	Label       string
	Description string
	Errors      fieldErrors
	Error       string // a problem that belongs to no one field
}

func (f accountForm) Err(name string) string { return f.Errors[name] }

func (h *handler) listPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	return h.renderList(w, r, http.StatusOK, q.Get("cursor"), q.Get("dialog") == dialogCreateAccount, accountForm{}, notices[q.Get("done")])
}

// renderList shows one page of the accounts, those whose label holds the
// query ?q= when there is one; the next page's link keeps the query.
func (h *handler) renderList(w http.ResponseWriter, r *http.Request, status int, cursor string, open bool, form accountForm, notice string) error {
	base := h.base(r)
	query := r.URL.Query().Get("q")
	data := listData{
		layout:     h.layout(r, base, "Service Accounts", notice),
		Query:      query,
		CreateOpen: open,
		Create:     form,
	}
	params := serviceaccount.ListAccountsParams{Limit: listPageSize, Cursor: cursor, Label: query}
	page, err := h.mgr(r).ListAccounts(r.Context(), params)
	var verr *serviceaccount.ValidationError
	if errors.As(err, &verr) && params.Cursor != "" {
		// A cursor that is not ours: show the first page rather than an error.
		params.Cursor = ""
		page, err = h.mgr(r).ListAccounts(r.Context(), params)
	}
	if errors.As(err, &verr) {
		// The search itself is refused (too long): say so next to the box,
		// and list nothing rather than everything.
		data.QueryError = fmt.Sprintf("Shorten the search to at most %d characters; labels are no longer.", store.MaxLabelLength)
		if status == http.StatusOK {
			status = http.StatusBadRequest
		}
		h.render(w, r, status, "list", data)
		return nil
	}
	if err != nil {
		return err
	}
	now := h.m.Clock().Now()
	for _, a := range page.Items {
		card, err := h.newAccountCard(r, base, a, now)
		if err != nil {
			return err
		}
		data.Accounts = append(data.Accounts, card)
	}
	if page.NextCursor != "" {
		next := url.Values{"cursor": {page.NextCursor}}
		if strings.TrimSpace(query) != "" {
			next.Set("q", query)
		}
		data.NextURL = base + "/?" + next.Encode()
	}
	h.render(w, r, status, "list", data)
	return nil
}

type accountData struct {
	layout
	Account     accountView
	Info        accountForm
	Keys        []keyView
	Permissions []permissionView
	Catalog     catalogView

	// Open names the dialog shown open when the page loads: asked for by
	// a ?dialog= link (no JavaScript), or holding errors or a new key.
	Open       string
	KeyForm    keyForm
	NewKey     *createdKeyView
	Permission permissionForm
	Limiter    limiterForm
	MinDate    string // the first date an expiry may be picked for
	Zone       string // the time zone dates are picked and shown in
	Expiries   []expiryChoice
	// NeverWarning: "Never" is offered, so its warning is on the form.
	NeverWarning bool
	Policy       policyView
	Rotate       rotateForm
	Rename       renameForm
	// Restrict is the Edit restrictions dialog's form for the key named
	// by ?key= (or as typed, with its errors).
	Restrict      restrictionForm
	RestrictKey   keyView
	RestrictError string
	// DeleteKey and DeletePermission are what the delete confirmations
	// name when opened without JavaScript.
	DeleteKey        keyView
	DeletePermission permissionView
	Events           []eventView // the newest of the account's audit events
	MoreEvents       string      // the activity page, when there are more
}

type keyForm struct {
	Name      string
	Expiry    string // the choice: a number of days, "date" or "never"
	SetExpiry bool   // the rotation dialog's switch; in the create form, the old name of "date"
	ExpiresOn string
	Restrict  restrictionForm
	Errors    fieldErrors
	Error     string
}

func (f keyForm) Err(name string) string { return f.Errors[name] }

// createdKeyView is a key just created, with its plaintext: rendered into one
// response, never stored, logged or put in a URL.
type createdKeyView struct {
	Plaintext string
	Key       keyView
	// Previous is the key a rotation replaced, with its shortened expiry.
	Previous *keyView
}

type permissionForm struct {
	Type        typeView
	ResourceKey string
	Action      string
	Limiter     string
	ShowLimiter bool
	LimiterHint string
	Errors      fieldErrors
	Error       string
}

func (f permissionForm) Err(name string) string { return f.Errors[name] }

type limiterForm struct {
	Permission permissionView
	Limiter    string
	Errors     fieldErrors
	Error      string
}

func (f limiterForm) Err(name string) string { return f.Errors[name] }

// accountState is what a request adds to the stored account when the page
// is rendered: input to show again, errors, a dialog to open.
type accountState struct {
	open       string
	info       *accountForm
	key        keyForm
	newKey     *createdKeyView
	permission *permissionForm
	limiter    *limiterForm
	limiterFor string // permission id whose limiter dialog is open
	keyFor     string // key id whose rotate or rename dialog is open
	rotate     *rotateForm
	rename     *renameForm
	notice     string
	// restrict is the Edit restrictions form as typed, with its errors.
	restrict      *restrictionForm
	restrictErrs  fieldErrors
	restrictError string
}

func (h *handler) accountPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	st := accountState{notice: notices[q.Get("done")]}
	switch d := q.Get("dialog"); d {
	case dialogCreateKey, dialogDeleteAccount:
		st.open = d
	case dialogAddPermission:
		// Without JavaScript, choosing a resource type reloads the form
		// through this GET, with what was typed so far.
		st.open = d
		st.permission = &permissionForm{ResourceKey: q.Get("resourceKey"), Action: q.Get("action"), Limiter: q.Get("limiter")}
		st.permission.Type, _ = h.catalog.typeByID(q.Get("resourceType"))
	case dialogEditLimiter, dialogDeletePermission:
		st.open = d
		st.limiterFor = q.Get("permission")
	case dialogRotateKey, dialogRenameKey, dialogDeleteKey, dialogEditRestrictions:
		st.open = d
		st.keyFor = q.Get("key")
	}
	return h.renderAccount(w, r, http.StatusOK, id, st)
}

func (h *handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, st accountState) error {
	ctx := r.Context()
	a, err := h.mgr(r).Account(ctx, id)
	if err != nil {
		return err
	}
	keys, err := h.mgr(r).Keys(ctx, id)
	if err != nil {
		return err
	}
	perms, err := h.mgr(r).Permissions(ctx, id)
	if err != nil {
		return err
	}
	pol, err := h.keyPolicyOf(r)
	if err != nil {
		return err
	}
	base := h.base(r)
	now := h.m.Clock().Now()
	av := newAccountView(base, a, now, h.opts.Location)
	data := accountData{
		layout:  h.layout(r, base, a.Label, st.notice),
		Account: av,
		Info:    accountForm{Label: a.Label, Description: a.Description},
		Catalog: h.catalog,
		Open:    st.open,
		KeyForm: st.key,
		NewKey:  st.newKey,
		MinDate: h.minDate(now),
		Zone:    h.zoneName(),
	}
	if st.info != nil {
		data.Info = *st.info
	}
	data.Policy = h.newPolicyView(pol, keys, now)
	data.Expiries = h.expiryChoices(pol, now, data.KeyForm.Expiry)
	data.NeverWarning = pol.DefaultKeyLifetime == 0 && data.Expiries[0].Value == expiryNever
	data.Rotate = rotateForm{Grace: "86400"}
	for _, k := range keys {
		kv := newKeyView(av.URL, k, now, h.opts.Location)
		data.Keys = append(data.Keys, kv)
		if kv.ID == st.keyFor {
			data.Rotate.Key, data.Rename.Key, data.DeleteKey, data.RestrictKey = kv, kv, kv, kv
			data.Rename.Name = kv.Name
			data.Rotate.Restrict = kv.Restrict
			data.Restrict = kv.Restrict
		}
	}
	if st.rotate != nil {
		key := data.Rotate.Key
		data.Rotate = *st.rotate
		data.Rotate.Key = key
	}
	data.Rotate.Restrict = data.Rotate.Restrict.withPeriods("rotate-", data.Rotate.Errors)
	data.KeyForm.Restrict = data.KeyForm.Restrict.withPeriods("key-", data.KeyForm.Errors)
	if st.restrict != nil {
		data.Restrict = *st.restrict
	}
	data.Restrict = data.Restrict.withPeriods("restrict-", st.restrictErrs)
	data.RestrictError = st.restrictError
	if st.rename != nil {
		key := data.Rename.Key
		data.Rename = *st.rename
		data.Rename.Key = key
	}
	if (data.Open == dialogRotateKey || data.Open == dialogRenameKey || data.Open == dialogDeleteKey || data.Open == dialogEditRestrictions) && data.Rotate.Key.ID == "" {
		data.Open = "" // the key is gone (or never was)
	}
	data.Rotate.Choices = h.rotationExpiryChoices(pol, now, data.Rotate.Expiry)
	for i := range data.Policy.Grace {
		g := &data.Policy.Grace[i]
		g.Selected = strconv.FormatInt(g.Seconds, 10) == data.Rotate.Grace
	}
	for _, p := range perms {
		pv := h.catalog.newPermissionView(av.URL, p)
		data.Permissions = append(data.Permissions, pv)
		if pv.ID == st.limiterFor {
			data.Limiter = limiterForm{Permission: pv, Limiter: pv.Limiter}
			data.DeletePermission = pv
		}
	}
	if st.limiter != nil {
		// The limiter as typed, with its errors, for the stored permission.
		data.Limiter.Limiter, data.Limiter.Errors, data.Limiter.Error = st.limiter.Limiter, st.limiter.Errors, st.limiter.Error
		withLimiterKey(data.Limiter.Errors, data.Limiter.Permission.LimiterKeys)
	}
	if (data.Open == dialogEditLimiter || data.Open == dialogDeletePermission) && data.Limiter.Permission.ID == "" {
		// The permission is gone (or never was): nothing to edit.
		data.Open = ""
	}
	data.Permission = h.newPermissionForm(st.permission)
	if data.Events, data.MoreEvents, err = h.recentEvents(r, id); err != nil {
		return err
	}
	h.render(w, r, status, "account", data)
	return nil
}

// newPermissionForm fills the add-permission form for its resource type,
// the first of the catalog when none (or an unknown one) was chosen.
func (h *handler) newPermissionForm(f *permissionForm) permissionForm {
	var out permissionForm
	if f != nil {
		out = *f
	}
	if out.Type.ID == "" {
		out.Type = h.catalog.Types[0]
	}
	actions := out.Type.limiterActions()
	// A limiter typed where none applies stays visible with its error.
	out.ShowLimiter = len(actions) > 0 || out.Limiter != "" || out.Errors["limiter"] != ""
	if keys := h.catalog.limiterKeys(out.Type.ID, out.Action); len(keys) > 0 {
		out.LimiterHint = limiterHint(keys)
	} else if out.ShowLimiter {
		out.LimiterHint = "Only for the actions " + strings.Join(actions, ", ") + "."
	}
	return out
}

// pathID parses the path value name as a UUID. Anything else cannot name a
// stored record, so it is answered like an unknown id.
func pathID(r *http.Request, name string) (uuid.UUID, error) {
	s := r.PathValue(name)
	if len(s) != 36 {
		return uuid.Nil, store.ErrNotFound
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, store.ErrNotFound
	}
	return id, nil
}

// writeError answers an error no form can show: a request the page could
// not have sent (400), something deleted meanwhile (404), or a store that
// did not answer (503, logged; the page never shows the cause, which may
// describe internals).
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var bad *badFormError
	switch {
	case errors.As(err, &bad):
		h.errorPage(w, r, http.StatusBadRequest, bad.message)
	case errors.Is(err, store.ErrNotFound):
		h.errorPage(w, r, http.StatusNotFound, notFoundMessage(r))
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		h.log().WarnContext(r.Context(), "adminui: request not completed",
			"method", r.Method, "pattern", r.Pattern, "path", apikey.RedactKeyLike(r.URL.Path), "error", err.Error())
		h.errorPage(w, r, http.StatusServiceUnavailable, "The service is temporarily unavailable. Try again in a moment.")
	default:
		h.log().ErrorContext(r.Context(), "adminui: request failed",
			"method", r.Method, "pattern", r.Pattern, "path", apikey.RedactKeyLike(r.URL.Path), "error", err.Error())
		h.errorPage(w, r, http.StatusServiceUnavailable, "The service could not reach its store. Try again in a moment.")
	}
}

func notFoundMessage(r *http.Request) string {
	switch {
	case r.PathValue("keyId") != "":
		return "This API key does not exist any more; it may have been deleted meanwhile."
	case r.PathValue("permissionId") != "":
		return "This permission does not exist any more; it may have been deleted meanwhile."
	default:
		return "This service account does not exist; it may have been deleted meanwhile."
	}
}
