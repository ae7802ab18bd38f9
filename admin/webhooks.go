package admin

import (
	"encoding/json"
	"net/http"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/internal/mount"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// stringsField reads an array of strings; null leaves it empty, for the
// Manager to say what is missing.
func stringsField(name string, dst *[]string) field {
	return field{name, func(raw json.RawMessage) string {
		if string(raw) == "null" {
			*dst = nil
			return ""
		}
		if raw[0] != '[' || json.Unmarshal(raw, dst) != nil {
			return "must be an array of strings"
		}
		return ""
	}}
}

func (h *handler) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in serviceaccount.WebhookInput
	if _, err := readBody(w, r, false,
		stringField("url", &in.URL), stringsField("events", &in.Events), stringField("description", &in.Description)); err != nil {
		return err
	}
	created, err := h.mgr(r).CreateWebhook(r.Context(), in)
	if err != nil {
		return err
	}
	// The secret is in this one answer: keep it out of every cache.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", mount.Prefix(r)+"/webhooks/"+created.ID.String())
	return writeJSON(w, http.StatusCreated, apijson.NewCreatedWebhook(created))
}

func (h *handler) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	var p serviceaccount.PageParams
	var err error
	if p.Limit, p.Cursor, err = pageQuery(r.URL.Query()); err != nil {
		return err
	}
	page, err := h.mgr(r).ListWebhooks(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewWebhookPage(page))
}

func (h *handler) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	hook, err := h.mgr(r).Webhook(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewWebhook(hook))
}

func (h *handler) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.mgr(r).DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p serviceaccount.PageParams
	if p.Limit, p.Cursor, err = pageQuery(r.URL.Query()); err != nil {
		return err
	}
	page, err := h.mgr(r).ListDeliveries(r.Context(), id, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apijson.NewDeliveryPage(page))
}
