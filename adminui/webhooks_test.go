package adminui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

var secretRe = regexp.MustCompile(`whsec_[A-Za-z0-9+/=_-]+`)

func TestCreateWebhookShowsTheSecretInExactlyOneResponse(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	res := p.get("/webhooks?dialog=create-webhook")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "create-webhook"))
	assert.Contains(t, res.body, `aria-label="API keys"`, "the events are grouped")
	assert.Contains(t, res.body, `value="key.create"`)

	// A no-JavaScript post: several checkboxes of one name.
	res = p.post("/webhooks", url.Values{"url": {"https://192.0.2.10/hook"}, "events": {"key.create", "key.delete"}, "description": {"Billing sync"}})
	require.Equal(t, http.StatusCreated, res.StatusCode)
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assertSecurityHeaders(t, res.Response)
	assert.True(t, dialogOpen(res.body, "new-webhook"))
	secret := secretRe.FindString(res.body)
	require.NotEmpty(t, secret, "the secret is shown")
	assert.Contains(t, res.body, `data-replace-url="/admin/ui/webhooks"`)

	page, err := p.mgr.ListWebhooks(context.Background(), serviceaccount.PageParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	hook := page.Items[0]
	assert.Equal(t, []string{"key.create", "key.delete"}, hook.Events)

	// Never again: not in the list, the webhook's page, or any log line.
	for _, path := range []string{"/webhooks", "/webhooks/" + hook.ID.String(), "/webhooks?dialog=delete-webhook&webhook=" + hook.ID.String()} {
		res = p.get(path)
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		assert.NotContains(t, res.body, secret, path)
		assert.NotContains(t, res.body, "whsec_", path)
		assert.Contains(t, res.body, "https://192.0.2.10/hook", path)
	}
	assert.NotContains(t, p.logs.String(), secret)
}

func TestCreateWebhookErrorsAreSentencesNextToTheirField(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	res := p.post("/webhooks", url.Values{"url": {"ftp://example.com/x"}, "description": {"kept <b>as typed</b>"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "create-webhook"))
	assert.Contains(t, fieldError(t, res.body, "webhook-url"), "Enter the address of the receiver, an https:// or http:// URL outside this network: ")
	assert.Contains(t, res.body, `<p class="field-error" id="webhook-events-error">Choose at least one event to send.</p>`)
	assert.Contains(t, res.body, `kept &lt;b&gt;as typed&lt;/b&gt;</textarea>`)
	assert.Contains(t, fieldTag(t, res.body, "webhook-url"), `value="ftp://example.com/x"`)

	res = p.post("/webhooks", url.Values{"url": {"https://192.0.2.10/hook"}, "events": {"key.create", "no.such"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, res.body, "Choose only events from the list, each once")
	assert.Contains(t, res.body, `id="event-key-create" name="events" type="checkbox" value="key.create" checked`, "the ticked box stays ticked")

	page, err := p.mgr.ListWebhooks(context.Background(), serviceaccount.PageParams{})
	require.NoError(t, err)
	assert.Empty(t, page.Items, "a refused form creates nothing")
}

func TestDeleteWebhookAsksFirstNamingTheURL(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	created, err := p.mgr.CreateWebhook(context.Background(), serviceaccount.WebhookInput{URL: "https://192.0.2.10/named", Events: []string{"account.create"}})
	require.NoError(t, err)
	id := created.ID.String()

	res := p.get("/webhooks")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, `data-what="https://192.0.2.10/named"`)
	assert.False(t, dialogOpen(res.body, "delete-webhook"))

	// Without JavaScript, the link opens the confirmation naming the URL.
	res = p.get("/webhooks?dialog=delete-webhook&webhook=" + id)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "delete-webhook"))
	assert.Contains(t, res.body, `<strong data-fill="what" class="wrap-anywhere">https://192.0.2.10/named</strong>`)
	assert.Contains(t, res.body, `action="/admin/ui/webhooks/`+id+`/delete"`)

	res = p.post("/webhooks/"+id+"/delete", url.Values{})
	p.seeOther(res, "/webhooks", "webhook-deleted")
	_, err = p.mgr.Webhook(context.Background(), created.ID)
	require.Error(t, err)
	res = p.get("/webhooks?done=webhook-deleted")
	assert.Contains(t, res.body, "Webhook deleted.")
	assert.Equal(t, http.StatusNotFound, p.post("/webhooks/"+id+"/delete", url.Values{}).StatusCode)
}

func TestWebhookPageShowsRecentDeliveries(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	created, err := p.mgr.CreateWebhook(context.Background(), serviceaccount.WebhookInput{URL: "https://192.0.2.10/d", Events: []string{"account.create"}})
	require.NoError(t, err)
	res := p.get("/webhooks/" + created.ID.String())
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, "No deliveries yet")

	_, err = p.mgr.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: "Makes an event"})
	require.NoError(t, err)
	res = p.get("/webhooks/" + created.ID.String())
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, `<td data-label="Event"><code>account.create</code></td>`)
	assert.Contains(t, res.body, `<td data-label="State">Pending</td>`)
	assert.Contains(t, res.body, `<td data-label="Attempts">0</td>`)
	assert.Contains(t, res.body, "None yet")
	assert.NotContains(t, res.body, "whsec_")
}

func TestWebhooksBelongToTheURLsTenant(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui", options: adminui.Config{TenantAllowed: allowTenants("default", "acme")}})
	res := p.post("/tenants/acme/webhooks", url.Values{"url": {"https://192.0.2.10/acme"}, "events": {"key.create"}})
	require.Equal(t, http.StatusCreated, res.StatusCode)
	acme, err := p.mgr.Tenant("acme")
	require.NoError(t, err)
	page, err := acme.ListWebhooks(context.Background(), serviceaccount.PageParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	id := page.Items[0].ID.String()

	res = p.get("/webhooks")
	assert.NotContains(t, res.body, "https://192.0.2.10/acme", "the default tenant does not list it")
	assert.Equal(t, http.StatusNotFound, p.get("/webhooks/"+id).StatusCode)
	assert.Equal(t, http.StatusNotFound, p.post("/webhooks/"+id+"/delete", url.Values{}).StatusCode)
	res = p.get("/tenants/acme/webhooks")
	assert.Contains(t, res.body, `data-action="/admin/ui/tenants/acme/webhooks/`+id+`/delete"`)
	assert.Contains(t, res.body, `action="/admin/ui/tenants/acme/webhooks"`, "the create form posts to the tenant")
	assert.True(t, strings.Contains(res.body, "https://192.0.2.10/acme"))
}
