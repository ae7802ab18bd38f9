package admin

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/internal/mount"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// pathID parses the path value name as a UUID in its canonical 36-character
// form. Anything else cannot name a stored record, so it is a 404 like an
// unknown id, not a 400.
func pathID(r *http.Request, name string) (uuid.UUID, error) {
	id, ok := parseUUID(r.PathValue(name))
	if !ok {
		return uuid.Nil, newProblem(http.StatusNotFound, notFoundDetail(r))
	}
	return id, nil
}

func (h *handler) listAccounts(w http.ResponseWriter, r *http.Request) error {
	var p serviceaccount.ListAccountsParams
	var err error
	q := r.URL.Query()
	if p.Limit, p.Cursor, err = pageQuery(q); err != nil {
		return err
	}
	// ?label= keeps the accounts whose label holds it, ignoring case.
	if len(q["label"]) > 1 {
		return invalidField("label", "must be given at most once")
	}
	p.Label = q.Get("label")
	page, err := h.mgr(r).ListAccounts(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewAccountPage(page))
}

// pageQuery reads the limit and cursor parameters of a paginated list.
// Each may be given once; the limit is plain digits, 1 to MaxPageSize
// (Atoi would also take "+5", and an empty value is a mistake, not a
// request for the default); 0 when absent.
func pageQuery(q url.Values) (limit int, cursor string, err error) {
	for _, name := range []string{"limit", "cursor"} {
		if len(q[name]) > 1 {
			return 0, "", invalidField(name, "must be given at most once")
		}
	}
	if q.Has("limit") {
		n, ok := digits(q.Get("limit"))
		if !ok || n < 1 || n > serviceaccount.MaxPageSize {
			return 0, "", invalidField("limit", fmt.Sprintf("must be an integer from 1 to %d", serviceaccount.MaxPageSize))
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}

func accountFields(in *serviceaccount.AccountInput) []field {
	return []field{stringField("label", &in.Label), stringField("description", &in.Description), metadataField("metadata", &in.Metadata)}
}

func (h *handler) createAccount(w http.ResponseWriter, r *http.Request) error {
	var in serviceaccount.AccountInput
	if _, err := readBody(w, r, false, accountFields(&in)...); err != nil {
		return err
	}
	a, err := h.mgr(r).CreateAccount(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", mount.Prefix(r)+"/service-accounts/"+a.ID.String())
	return writeJSON(w, http.StatusCreated, apijson.NewAccount(a))
}

func (h *handler) getAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := h.mgr(r).Account(r.Context(), id)
	if err != nil {
		return err
	}
	setETag(w, serviceaccount.AccountRevision(a))
	return writeJSON(w, http.StatusOK, apijson.NewAccount(a))
}

// updateAccount replaces both fields, as PUT does: an omitted description
// clears it. Metadata is the exception: omitted keeps it, null clears it,
// so that a client unaware of metadata cannot erase it.
func (h *handler) updateAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in serviceaccount.AccountInput
	if _, err := readBody(w, r, false, accountFields(&in)...); err != nil {
		return err
	}
	a, err := h.mgr(r).UpdateAccount(r.Context(), id, in)
	if err != nil {
		return err
	}
	setETag(w, serviceaccount.AccountRevision(a))
	return writeJSON(w, http.StatusOK, apijson.NewAccount(a))
}

func (h *handler) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.mgr(r).DeleteAccount(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// patchAccount changes the members the body has (label, description,
// disabled, metadata); a body with none of them is 400, so that {} never passes for
// a change.
func (h *handler) patchAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p serviceaccount.AccountPatch
	fields := []field{
		optionalStringField("label", &p.Label, false),
		optionalStringField("description", &p.Description, false),
		boolField("disabled", &p.Disabled),
		metadataField("metadata", &p.Metadata),
	}
	if _, err := readBody(w, r, false, fields...); err != nil {
		return err
	}
	if p.Label == nil && p.Description == nil && p.Disabled == nil && p.Metadata == nil {
		return emptyPatch(fields)
	}
	a, err := h.mgr(r).PatchAccount(r.Context(), id, p)
	if err != nil {
		return err
	}
	setETag(w, serviceaccount.AccountRevision(a))
	return writeJSON(w, http.StatusOK, apijson.NewAccount(a))
}

func emptyPatch(fields []field) *problem {
	return newProblem(http.StatusBadRequest, "The body must set at least one of "+names(fields)+".")
}
