package admin

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// The records of an account (API keys, permissions) are read, listed and
// deleted the same way under /service-accounts/{id}; these functions hold
// that way once, and each handler names the Manager method and JSON shape
// of its record.

// recordPathIDs is the account and record ids of a
// /service-accounts/{id}/…/{idName} path; either one not a UUID is 404,
// as for pathID.
func recordPathIDs(r *http.Request, idName string) (accountID, id uuid.UUID, err error) {
	if accountID, err = pathID(r, "id"); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if id, err = pathID(r, idName); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return accountID, id, nil
}

// listRecords answers one page (limit, cursor) of the account's records.
func listRecords[P, D any](h *handler, w http.ResponseWriter, r *http.Request,
	list func(m *serviceaccount.Manager, ctx context.Context, accountID uuid.UUID, p serviceaccount.PageParams) (P, error),
	doc func(P) D,
) error {
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p serviceaccount.PageParams
	if p.Limit, p.Cursor, err = pageQuery(r.URL.Query()); err != nil {
		return err
	}
	page, err := list(h.mgr(r), r.Context(), accountID, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, doc(page))
}

// getRecord answers one record with its revision as the ETag, for
// If-Match on a later change.
func getRecord[T, D any](h *handler, w http.ResponseWriter, r *http.Request, idName string,
	get func(m *serviceaccount.Manager, ctx context.Context, accountID, id uuid.UUID) (T, error),
	revision func(T) string,
	doc func(T) D,
) error {
	accountID, id, err := recordPathIDs(r, idName)
	if err != nil {
		return err
	}
	rec, err := get(h.mgr(r), r.Context(), accountID, id)
	if err != nil {
		return err
	}
	setETag(w, revision(rec))
	return writeJSON(w, http.StatusOK, doc(rec))
}

// deleteRecord deletes one record and answers 204.
func deleteRecord(h *handler, w http.ResponseWriter, r *http.Request, idName string,
	remove func(m *serviceaccount.Manager, ctx context.Context, accountID, id uuid.UUID) error,
) error {
	accountID, id, err := recordPathIDs(r, idName)
	if err != nil {
		return err
	}
	if err := remove(h.mgr(r), r.Context(), accountID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
