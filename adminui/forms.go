package adminui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// dateLayout is the value format of <input type="date">.
const dateLayout = "2006-01-02"

// badFormError is a form the page could not have sent: a missing, repeated
// or unknown field, or a body that is not a form. It is answered with an
// error page, and nothing is written.
type badFormError struct{ message string }

func (e *badFormError) Error() string { return e.message }

// readForm reads a urlencoded POST body that may hold exactly the named
// fields, each at most once; a name ending in "?" is optional. The query
// string is ignored: every form of the page posts its values in the body.
func readForm(w http.ResponseWriter, r *http.Request, names ...string) (url.Values, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" || r.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, &badFormError{"The form must be sent as application/x-www-form-urlencoded."}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &badFormError{fmt.Sprintf("The form is larger than %d bytes.", maxFormBytes)}
		}
		return nil, &badFormError{"The form could not be read."}
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &badFormError{"The form is not correctly encoded."}
	}
	allowed := map[string]bool{}
	many := map[string]bool{} // fields a form may send more than once (checkboxes): "name*"
	for _, n := range names {
		name, repeated := strings.CutSuffix(n, "*")
		many[name] = repeated
		name, optional := strings.CutSuffix(name, "?")
		optional = optional || repeated // no box ticked sends no field
		allowed[name] = true
		if !optional && !values.Has(name) {
			return nil, &badFormError{fmt.Sprintf("The form is missing the field %q. Reload the page and try again.", name)}
		}
	}
	for name, vs := range values {
		if !allowed[name] {
			return nil, &badFormError{fmt.Sprintf("The form has an unexpected field %q. Reload the page and try again.", truncate(name, 40))}
		}
		if len(vs) > 1 && !many[name] {
			return nil, &badFormError{fmt.Sprintf("The form has the field %q more than once.", name)}
		}
	}
	return values, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// formFailure sorts a failed change into what its form shows: field errors
// and a general message with a status, or ok false when the error is not
// about the input and belongs on an error page.
func formFailure(err error) (errs fieldErrors, general string, status int, ok bool) {
	var verr *serviceaccount.ValidationError
	var cerr *serviceaccount.ConflictError
	switch {
	case errors.As(err, &verr):
		return newFieldErrors(verr.Fields), "", http.StatusBadRequest, true
	case errors.As(err, &cerr):
		// The Manager's reason is fixed text about the input ("the account
		// already holds this permission"), fit to show.
		return nil, sentence(cerr.Reason), http.StatusConflict, true
	case errors.Is(err, store.ErrConflict):
		return nil, "This conflicts with what is stored (it may exist already). Reload the page and check.", http.StatusConflict, true
	}
	return nil, "", 0, false
}

// sentence capitalizes s and ends it with a period.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// redirect answers a successful change with 303 See Other, so that the
// browser fetches the result with GET and a reload never re-posts.
func redirect(w http.ResponseWriter, r *http.Request, to, done string) {
	http.Redirect(w, r, to+"?done="+done, http.StatusSeeOther)
}

func accountInput(v url.Values) serviceaccount.AccountInput {
	return serviceaccount.AccountInput{Label: v.Get("label"), Description: v.Get("description")}
}

func (h *handler) createAccount(w http.ResponseWriter, r *http.Request) error {
	v, err := readForm(w, r, "label", "description?")
	if err != nil {
		return err
	}
	a, err := h.mgr(r).CreateAccount(h.changeContext(r), accountInput(v))
	if errs, general, status, ok := formFailure(err); ok {
		form := accountForm{Label: v.Get("label"), Description: v.Get("description"), Errors: errs, Error: general}
		return h.renderList(w, r, status, "", true, form, "")
	}
	if err != nil {
		return err
	}
	redirect(w, r, h.base(r)+"/accounts/"+a.ID.String(), "account-created")
	return nil
}

func (h *handler) updateAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := readForm(w, r, "label", "description?")
	if err != nil {
		return err
	}
	_, err = h.mgr(r).UpdateAccount(h.changeContext(r), id, accountInput(v))
	if errs, general, status, ok := formFailure(err); ok {
		form := &accountForm{Label: v.Get("label"), Description: v.Get("description"), Errors: errs, Error: general}
		return h.renderAccount(w, r, status, id, accountState{info: form})
	}
	if err != nil {
		return err
	}
	redirect(w, r, h.base(r)+"/accounts/"+id.String(), "account-updated")
	return nil
}

func (h *handler) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := readForm(w, r); err != nil {
		return err
	}
	if err := h.mgr(r).DeleteAccount(h.changeContext(r), id); err != nil {
		return err
	}
	redirect(w, r, h.base(r)+"/", "account-deleted")
	return nil
}

// createKey answers with the account page showing the new key, once: a
// redirect would have to carry the key in its URL. The response is
// no-store like every other; app.js replaces the address with the
// account's, so a reload fetches the page rather than posting again.
func (h *handler) createKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := readForm(w, r, append([]string{"name?", "expiry?", "setExpiry?", "expiresOn?"}, restrictionFieldNames...)...)
	if err != nil {
		return err
	}
	form := keyFormFrom(v)
	restrict, rin, rerrs := restrictionsFrom(v)
	form.Restrict = restrict
	if len(rerrs) > 0 {
		form.Errors = rerrs
		return h.renderAccount(w, r, http.StatusBadRequest, id, accountState{open: dialogCreateKey, key: form})
	}
	in := serviceaccount.CreateKeyInput{Name: form.Name, Scopes: rin.scopes, AllowedCIDRs: rin.cidrs, RateLimit: rin.rateLimit, Metadata: rin.metadata}
	pol, err := h.keyPolicyOf(r)
	if err != nil {
		return err
	}
	at, field, msg := h.resolveExpiry(pol, &form)
	if msg != "" {
		form.Errors = fieldErrors{field: msg}
		return h.renderAccount(w, r, http.StatusBadRequest, id, accountState{open: dialogCreateKey, key: form})
	}
	in.ExpiresAt = at
	created, err := h.mgr(r).CreateKey(h.changeContext(r), id, in)
	if errs, general, status, ok := formFailure(err); ok {
		expiryField := "expiresOn"
		if form.Expiry != expiryDate {
			expiryField = "expiry"
		}
		renameField(errs, "expiresAt", expiryField)
		form.Errors, form.Error = errs, general
		return h.renderAccount(w, r, status, id, accountState{open: dialogCreateKey, key: form})
	}
	if err != nil {
		return err
	}
	accountURL := h.base(r) + "/accounts/" + id.String()
	nk := &createdKeyView{
		Plaintext: created.Plaintext,
		Key:       newKeyView(accountURL, created.Key, h.m.Clock().Now(), h.opts.Location),
	}
	return h.renderAccount(w, r, http.StatusCreated, id, accountState{open: dialogNewKey, newKey: nk})
}

// deleteChild deletes a key or permission, named by the path value param
// under the account {id}, and returns to the account page with done as
// its notice.
func (h *handler) deleteChild(param string, del func(m *serviceaccount.Manager, ctx context.Context, id, childID uuid.UUID) error, done string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, childID, err := childPath(r, param)
		if err != nil {
			return err
		}
		if _, err := readForm(w, r); err != nil {
			return err
		}
		if err := del(h.mgr(r), h.changeContext(r), id, childID); err != nil {
			return err
		}
		redirect(w, r, h.base(r)+"/accounts/"+id.String(), done)
		return nil
	}
}

// limiterJSON turns the limiter field into what the Manager takes: empty
// means no limiter.
func limiterJSON(s string) json.RawMessage {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return json.RawMessage(s)
}

func (h *handler) addPermission(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := readForm(w, r, "resourceType", "resourceKey", "action", "limiter?")
	if err != nil {
		return err
	}
	in := serviceaccount.PermissionInput{
		ResourceType: v.Get("resourceType"),
		ResourceKey:  v.Get("resourceKey"),
		Action:       v.Get("action"),
		Limiter:      limiterJSON(v.Get("limiter")),
	}
	_, err = h.mgr(r).AddPermission(h.changeContext(r), id, in)
	if errs, general, status, ok := formFailure(err); ok {
		withLimiterKey(errs, h.catalog.limiterKeys(in.ResourceType, in.Action))
		form := &permissionForm{ResourceKey: in.ResourceKey, Action: in.Action, Limiter: v.Get("limiter"), Errors: errs, Error: general}
		form.Type, _ = h.catalog.typeByID(in.ResourceType)
		if form.Type.ID != in.ResourceType {
			// An unknown type cannot be shown selected; its error moves
			// to the form as a whole.
			form.Error = strings.TrimSpace(form.Error + " Resource Type: " + errs["resourceType"])
		}
		return h.renderAccount(w, r, status, id, accountState{open: dialogAddPermission, permission: form})
	}
	if err != nil {
		return err
	}
	redirect(w, r, h.base(r)+"/accounts/"+id.String(), "permission-added")
	return nil
}

func (h *handler) setLimiter(w http.ResponseWriter, r *http.Request) error {
	id, permissionID, err := childPath(r, "permissionId")
	if err != nil {
		return err
	}
	v, err := readForm(w, r, "limiter")
	if err != nil {
		return err
	}
	_, err = h.mgr(r).SetLimiter(h.changeContext(r), id, permissionID, limiterJSON(v.Get("limiter")))
	if errs, general, status, ok := formFailure(err); ok {
		form := &limiterForm{Limiter: v.Get("limiter"), Errors: errs, Error: general}
		return h.renderAccount(w, r, status, id, accountState{open: dialogEditLimiter, limiterFor: permissionID.String(), limiter: form})
	}
	if err != nil {
		return err
	}
	redirect(w, r, h.base(r)+"/accounts/"+id.String(), "limiter-saved")
	return nil
}
