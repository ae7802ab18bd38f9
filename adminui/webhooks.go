package adminui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// Dialogs of the webhooks page.
const (
	dialogCreateWebhook = "create-webhook"
	dialogNewWebhook    = "new-webhook"
	dialogDeleteWebhook = "delete-webhook"
)

// recentDeliveries is how many of a webhook's deliveries its page shows.
const recentDeliveries = 20

// eventGroups names the groups the create dialog's event checkboxes are
// shown in, by the part of the event type before the dot; a type of a
// group not named here goes under "Other".
var eventGroups = []struct{ prefix, title string }{
	{"account", "Service accounts"},
	{"key", "API keys"},
	{"permission", "Permissions"},
	{"policy", "Policy"},
	{"webhook", "Webhooks"},
}

type eventGroup struct {
	Title  string
	Events []eventChoice
}

type eventChoice struct {
	Type    string
	ID      string // the checkbox's element id
	Checked bool
}

type webhookView struct {
	ID          string
	URL         string // where deliveries go
	PageURL     string // the webhook's page: its recent deliveries
	DeleteURL   string
	Events      []string
	Description string
	Created     *timeView
}

type webhookForm struct {
	URL         string
	Events      []string
	Description string
	Errors      fieldErrors
	Error       string
}

func (f webhookForm) Err(name string) string { return f.Errors[name] }

type webhooksData struct {
	layout
	Webhooks []webhookView
	NextURL  string
	Open     string
	Form     webhookForm
	Groups   []eventGroup
	// NewSecret is the secret of the webhook just created, rendered into
	// this one response only.
	NewSecret  string
	NewWebhook webhookView
	Delete     webhookView // what the delete confirmation names without JavaScript
}

func (h *handler) newWebhookView(base string, w serviceaccount.Webhook) webhookView {
	page := base + "/webhooks/" + w.ID.String()
	created := w.CreatedAt
	return webhookView{
		ID: w.ID.String(), URL: w.URL, PageURL: page, DeleteURL: page + "/delete",
		Events: w.Events, Description: w.Description,
		Created: newTimeView(&created, h.m.Clock().Now(), h.opts.Location),
	}
}

// eventGroupsFor is the create dialog's checkboxes, those in checked ticked.
func eventGroupsFor(checked []string) []eventGroup {
	var groups []eventGroup
	other := eventGroup{Title: "Other"}
	for _, g := range eventGroups {
		groups = append(groups, eventGroup{Title: g.title})
	}
	for _, e := range serviceaccount.WebhookEventTypes() {
		c := eventChoice{Type: e, ID: "event-" + strings.ReplaceAll(e, ".", "-"), Checked: slices.Contains(checked, e)}
		prefix, _, _ := strings.Cut(e, ".")
		i := slices.IndexFunc(eventGroups, func(g struct{ prefix, title string }) bool { return g.prefix == prefix })
		if i < 0 {
			other.Events = append(other.Events, c)
			continue
		}
		groups[i].Events = append(groups[i].Events, c)
	}
	if len(other.Events) > 0 {
		groups = append(groups, other)
	}
	return slices.DeleteFunc(groups, func(g eventGroup) bool { return len(g.Events) == 0 })
}

func (h *handler) webhooksPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	data, err := h.webhooksData(r, q.Get("cursor"), notices[q.Get("done")])
	if err != nil {
		return err
	}
	switch q.Get("dialog") {
	case dialogCreateWebhook:
		data.Open = dialogCreateWebhook
	case dialogDeleteWebhook:
		// Without JavaScript the link names the webhook; one of another
		// tenant, or none, is simply not found.
		id, err := uuid.Parse(q.Get("webhook"))
		if err != nil {
			return store.ErrNotFound
		}
		hook, err := h.mgr(r).Webhook(r.Context(), id)
		if err != nil {
			return err
		}
		data.Open, data.Delete = dialogDeleteWebhook, h.newWebhookView(h.base(r), hook)
	}
	h.render(w, r, http.StatusOK, "webhooks", data)
	return nil
}

func (h *handler) webhooksData(r *http.Request, cursor, notice string) (webhooksData, error) {
	base := h.base(r)
	page, err := h.mgr(r).ListWebhooks(r.Context(), serviceaccount.PageParams{Cursor: cursor})
	var verr *serviceaccount.ValidationError
	if errors.As(err, &verr) {
		// A cursor that is not ours: show the first page rather than an error.
		page, err = h.mgr(r).ListWebhooks(r.Context(), serviceaccount.PageParams{})
	}
	if err != nil {
		return webhooksData{}, err
	}
	data := webhooksData{layout: h.layout(r, base, "Webhooks", notice), Groups: eventGroupsFor(nil)}
	for _, hook := range page.Items {
		data.Webhooks = append(data.Webhooks, h.newWebhookView(base, hook))
	}
	if page.NextCursor != "" {
		data.NextURL = base + "/webhooks?cursor=" + url.QueryEscape(page.NextCursor)
	}
	return data, nil
}

// createWebhook answers with the webhooks page showing the new secret,
// once, like a new key: a redirect would have to carry it in its URL.
func (h *handler) createWebhook(w http.ResponseWriter, r *http.Request) error {
	v, err := readForm(w, r, "url", "events*", "description?")
	if err != nil {
		return err
	}
	form := webhookForm{URL: v.Get("url"), Events: v["events"], Description: v.Get("description")}
	created, err := h.mgr(r).CreateWebhook(h.changeContext(r), serviceaccount.WebhookInput{
		URL: strings.TrimSpace(form.URL), Events: form.Events, Description: form.Description,
	})
	if verr := (*serviceaccount.ValidationError)(nil); errors.As(err, &verr) {
		form.Errors = webhookFieldErrors(verr.Fields)
		data, err := h.webhooksData(r, "", "")
		if err != nil {
			return err
		}
		data.Open, data.Form, data.Groups = dialogCreateWebhook, form, eventGroupsFor(form.Events)
		h.render(w, r, http.StatusBadRequest, "webhooks", data)
		return nil
	}
	if err != nil {
		return err
	}
	data, err := h.webhooksData(r, "", "Webhook created.")
	if err != nil {
		return err
	}
	data.Open, data.NewSecret = dialogNewWebhook, created.Secret
	data.NewWebhook = h.newWebhookView(h.base(r), created.Webhook)
	h.render(w, r, http.StatusCreated, "webhooks", data)
	return nil
}

// webhookFieldErrors says what to do about each field: the URL's problem
// is the Manager's own sentence about the address; every event problem
// belongs to the one group of checkboxes.
func webhookFieldErrors(fields []serviceaccount.FieldError) fieldErrors {
	errs := fieldErrors{}
	for _, f := range fields {
		switch {
		case f.Field == "url":
			errs["url"] = "Enter the address of the receiver, an https:// or http:// URL outside this network: " + strings.TrimSuffix(f.Message, ".") + "."
		case f.Field == "events" && strings.HasPrefix(f.Message, "must list at least one"):
			errs["events"] = "Choose at least one event to send."
		case f.Field == "events" || strings.HasPrefix(f.Field, "events["):
			if _, ok := errs["events"]; !ok {
				errs["events"] = "Choose only events from the list, each once: " + fieldAdvice("events", f.Message)
			}
		default:
			errs[f.Field] = fieldAdvice(f.Field, f.Message)
		}
	}
	return errs
}

func (h *handler) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "webhookId")
	if err != nil {
		return err
	}
	if _, err := readForm(w, r); err != nil {
		return err
	}
	if err := h.mgr(r).DeleteWebhook(h.changeContext(r), id); err != nil {
		return err
	}
	redirect(w, r, h.base(r)+"/webhooks", "webhook-deleted")
	return nil
}

type deliveryView struct {
	EventType string
	State     string
	Attempts  int
	Codes     []string // each attempt's status code, or what went wrong
	Next      *timeView
	Created   *timeView
}

type webhookData struct {
	layout
	Webhook    webhookView
	Deliveries []deliveryView
	BackURL    string
}

// webhookPage shows a webhook and its recent deliveries, newest first.
func (h *handler) webhookPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "webhookId")
	if err != nil {
		return err
	}
	hook, err := h.mgr(r).Webhook(r.Context(), id)
	if err != nil {
		return err
	}
	page, err := h.mgr(r).ListDeliveries(r.Context(), id, serviceaccount.PageParams{Limit: recentDeliveries})
	if err != nil {
		return err
	}
	base := h.base(r)
	data := webhookData{layout: h.layout(r, base, "Webhook "+hook.URL, ""), Webhook: h.newWebhookView(base, hook), BackURL: base + "/webhooks"}
	now := h.m.Clock().Now()
	for _, d := range page.Items {
		created := d.CreatedAt
		v := deliveryView{EventType: d.EventType, State: deliveryStates[d.State], Attempts: len(d.Attempts),
			Next: newTimeView(d.NextAttemptAt, now, h.opts.Location), Created: newTimeView(&created, now, h.opts.Location)}
		if v.State == "" {
			v.State = string(d.State)
		}
		for _, a := range d.Attempts {
			if a.StatusCode != 0 {
				v.Codes = append(v.Codes, strconv.Itoa(a.StatusCode))
			} else {
				v.Codes = append(v.Codes, "no response")
			}
		}
		data.Deliveries = append(data.Deliveries, v)
	}
	h.render(w, r, http.StatusOK, "webhook", data)
	return nil
}

// deliveryStates say a delivery's state as a person would.
var deliveryStates = map[store.DeliveryState]string{
	store.DeliveryPending:   "Pending",
	store.DeliveryDelivered: "Delivered",
	store.DeliveryFailed:    "Failed: no more attempts",
}
