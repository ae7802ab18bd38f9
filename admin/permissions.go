package admin

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func (h *handler) listPermissions(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p serviceaccount.PageParams
	if p.Limit, p.Cursor, err = pageQuery(r.URL.Query()); err != nil {
		return err
	}
	page, err := h.m.ListPermissions(r.Context(), accountID, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewPermissionPage(page))
}

func (h *handler) addPermission(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in serviceaccount.PermissionInput
	if _, err := readBody(w, r, false,
		stringField("resourceType", &in.ResourceType),
		stringField("resourceKey", &in.ResourceKey),
		stringField("action", &in.Action),
		rawField("limiter", &in.Limiter),
	); err != nil {
		return err
	}
	p, err := h.m.AddPermission(r.Context(), accountID, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apijson.NewPermission(p))
}

// setLimiter requires the limiter member, so that a client cannot remove a
// limiter by accident with an empty object: removing takes an explicit null.
func (h *handler) setLimiter(w http.ResponseWriter, r *http.Request) error {
	accountID, permissionID, err := permissionPathIDs(r)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if _, err := readBody(w, r, false, rawField("limiter", &raw)); err != nil {
		return err
	}
	if raw == nil {
		return invalidField("limiter", "is required: an array of objects, or null to remove the limiter")
	}
	p, err := h.m.SetLimiter(r.Context(), accountID, permissionID, raw)
	if err != nil {
		return err
	}
	setETag(w, serviceaccount.PermissionRevision(p))
	return writeJSON(w, http.StatusOK, apijson.NewPermission(p))
}

// permissionPathIDs is the account and permission ids of a
// /{id}/permissions/{permissionId} path; either one not a UUID is 404.
func permissionPathIDs(r *http.Request) (accountID, permissionID uuid.UUID, err error) {
	if accountID, err = pathID(r, "id"); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if permissionID, err = pathID(r, "permissionId"); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return accountID, permissionID, nil
}

func (h *handler) deletePermission(w http.ResponseWriter, r *http.Request) error {
	accountID, permissionID, err := permissionPathIDs(r)
	if err != nil {
		return err
	}
	if err := h.m.DeletePermission(r.Context(), accountID, permissionID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
