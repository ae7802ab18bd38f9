package admin

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func (h *handler) listKeys(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p serviceaccount.PageParams
	if p.Limit, p.Cursor, err = pageQuery(r.URL.Query()); err != nil {
		return err
	}
	page, err := h.m.ListKeys(r.Context(), accountID, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newKeyPageJSON(page))
}

// createKey answers with the plaintext key, the only time it is ever
// shown; Cache-Control: no-store keeps it out of every cache on the way.
func (h *handler) createKey(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in serviceaccount.CreateKeyInput
	if _, err := readBody(w, r, true, stringField("name", &in.Name), timeField("expiresAt", &in.ExpiresAt)); err != nil {
		return err
	}
	created, err := h.m.CreateKey(r.Context(), accountID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, newCreatedKeyJSON(created))
}

// keyPathIDs is the account and key ids of a /{id}/keys/{keyId} path;
// either one not a UUID is 404, as for pathID.
func keyPathIDs(r *http.Request) (accountID, keyID uuid.UUID, err error) {
	if accountID, err = pathID(r, "id"); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if keyID, err = pathID(r, "keyId"); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return accountID, keyID, nil
}

func (h *handler) deleteKey(w http.ResponseWriter, r *http.Request) error {
	accountID, keyID, err := keyPathIDs(r)
	if err != nil {
		return err
	}
	if err := h.m.DeleteKey(r.Context(), accountID, keyID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
