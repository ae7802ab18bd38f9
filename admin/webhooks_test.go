package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	webhookKeys        = []string{"createdAt", "description", "events", "id", "url"}
	createdWebhookKeys = []string{"createdAt", "description", "events", "id", "secret", "url"}
	deliveryKeys       = []string{"attempts", "deliveredAt", "eventType", "id", "nextAttemptAt", "state"}
)

func TestWebhooksAreCreatedListedAndDeletedWithTheSecretShownOnce(t *testing.T) {
	e := newEnv(t)
	res := e.do("POST", "/admin/webhooks", `{"url":"https://192.0.2.10/hook","events":["account.create","key.leaked"],"description":"ops"}`)
	created := e.expect(res, http.StatusCreated)
	assert.Equal(t, createdWebhookKeys, keysOf(created))
	id := requireUUID(t, created["id"])
	secret := created["secret"].(string)
	assert.True(t, strings.HasPrefix(secret, "whsec_"))
	assert.Equal(t, "/admin/webhooks/"+id, res.header.Get("Location"))
	assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
	assert.Equal(t, startJSON, created["createdAt"])
	assert.Equal(t, []any{"account.create", "key.leaked"}, created["events"])

	got := e.expect(e.do("GET", "/admin/webhooks/"+id, ""), http.StatusOK)
	assert.Equal(t, webhookKeys, keysOf(got))
	delete(created, "secret")
	assert.Equal(t, created, got)
	list := e.expect(e.do("GET", "/admin/webhooks", ""), http.StatusOK)
	assert.Equal(t, []map[string]any{got}, items(t, list))
	assert.Nil(t, list["nextCursor"])

	// A change the webhook listens to is in its deliveries, pending.
	e.createAccount("pipeline")
	deliveries := items(t, e.expect(e.do("GET", "/admin/webhooks/"+id+"/deliveries", ""), http.StatusOK))
	require.Len(t, deliveries, 1)
	d := deliveries[0]
	assert.Equal(t, deliveryKeys, keysOf(d))
	assert.Equal(t, "account.create", d["eventType"])
	assert.Equal(t, "pending", d["state"])
	assert.Equal(t, []any{}, d["attempts"])
	assert.Equal(t, startJSON, d["nextAttemptAt"])
	assert.Nil(t, d["deliveredAt"])

	e.expect(e.do("GET", "/admin/audit-events?action=webhook.create", ""), http.StatusOK)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", "/admin/webhooks/"+id, "").status)
	requireProblem(t, e.do("GET", "/admin/webhooks/"+id, ""), http.StatusNotFound)
	requireProblem(t, e.do("DELETE", "/admin/webhooks/"+id, ""), http.StatusNotFound)
	requireProblem(t, e.do("GET", "/admin/webhooks/"+id+"/deliveries", ""), http.StatusNotFound)
	requireProblem(t, e.do("GET", "/admin/webhooks/not-an-id", ""), http.StatusNotFound)

	// The secret left the handler once: in the create answer.
	n := 0
	for _, b := range e.bodies {
		n += strings.Count(b, strings.TrimPrefix(secret, "whsec_"))
	}
	assert.Equal(t, 1, n)
	assert.NotContains(t, e.logs.String(), strings.TrimPrefix(secret, "whsec_"))
}

func TestCreateWebhookNamesTheBadField(t *testing.T) {
	e := newEnv(t)
	fields := requireProblem(t, e.do("POST", "/admin/webhooks", `{"url":"http://127.0.0.1/x","events":["account.create","nope"]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"url", "events[1]"}, fields)
	fields = requireProblem(t, e.do("POST", "/admin/webhooks", `{"url":"https://192.0.2.10/","events":[]}`), http.StatusBadRequest)
	assert.Equal(t, []string{"events"}, fields)
	fields = requireProblem(t, e.do("POST", "/admin/webhooks", `{"url":"https://192.0.2.10/","events":"account.create"}`), http.StatusBadRequest)
	assert.Equal(t, []string{"events"}, fields)
	fields = requireProblem(t, e.do("POST", "/admin/webhooks", `{"url":"https://192.0.2.10/","events":["account.create"],"secret":"whsec_x"}`), http.StatusBadRequest)
	assert.Equal(t, []string{"secret"}, fields, "unknown members are refused")
	assert.Empty(t, items(t, e.expect(e.do("GET", "/admin/webhooks", ""), http.StatusOK)))
}
