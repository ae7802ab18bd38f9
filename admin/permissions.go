package admin

import (
	"encoding/json"
	"net/http"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func (h *handler) listPermissions(w http.ResponseWriter, r *http.Request) error {
	return listRecords(h, w, r, (*serviceaccount.Manager).ListPermissions, apijson.NewPermissionPage)
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
	p, err := h.mgr(r).AddPermission(r.Context(), accountID, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apijson.NewPermission(p))
}

// setLimiter requires the limiter member, so that a client cannot remove a
// limiter by accident with an empty object: removing takes an explicit null.
func (h *handler) setLimiter(w http.ResponseWriter, r *http.Request) error {
	accountID, permissionID, err := recordPathIDs(r, "permissionId")
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
	p, err := h.mgr(r).SetLimiter(r.Context(), accountID, permissionID, raw)
	if err != nil {
		return err
	}
	setETag(w, serviceaccount.PermissionRevision(p))
	return writeJSON(w, http.StatusOK, apijson.NewPermission(p))
}

func (h *handler) deletePermission(w http.ResponseWriter, r *http.Request) error {
	return deleteRecord(h, w, r, "permissionId", (*serviceaccount.Manager).DeletePermission)
}
