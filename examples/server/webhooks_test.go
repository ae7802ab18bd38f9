package main_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// hookReceiver is a webhook endpoint on the loopback address. It answers
// the statuses given, in turn, then 204, and keeps every request.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      chan hookRequest
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T, statuses ...int) *hookReceiver {
	r := &hookReceiver{statuses: statuses, got: make(chan hookRequest, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusNoContent
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		r.got <- hookRequest{header: req.Header.Clone(), body: body}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) next(t *testing.T, within time.Duration) hookRequest {
	t.Helper()
	select {
	case got := <-r.got:
		return got
	case <-time.After(within):
		t.Fatalf("no delivery within %s", within)
		return hookRequest{}
	}
}

// verifyHook checks the Standard Webhooks signature with HMAC-SHA256
// computed here, independently of the library the server signs with.
func verifyHook(t *testing.T, secret string, got hookRequest) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", got.header.Get("webhook-id"), got.header.Get("webhook-timestamp"))
	mac.Write(got.body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	require.Contains(t, strings.Split(got.header.Get("webhook-signature"), " "), want)
}

func TestWebhookURLsOnLoopbackAreRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:")
	c := client{t: t, base: srv.url}
	res := c.do("POST", "/admin/webhooks", adminToken, `{"url":"http://127.0.0.1:9/hook","events":["account.create"]}`, http.StatusBadRequest)
	assert.Equal(t, "url", res["errors"].([]any)[0].(map[string]any)["field"])
	srv.stop()
}

func TestWebhooksAreDeliveredOnceByTwoServersOnPostgres(t *testing.T) {
	t.Parallel()
	deliveredOnceByTwoServers(t, freshDatabase(t, sqltest.PostgresURL(t)))
}

func TestWebhooksAreDeliveredOnceByTwoServersOnMySQL(t *testing.T) {
	t.Parallel()
	deliveredOnceByTwoServers(t, freshDatabase(t, sqltest.MySQLURL(t)))
}

// deliveredOnceByTwoServers runs two example servers on one database,
// each with its sender, makes changes through both, and requires every
// delivery to arrive exactly once, signed, soon after its change.
func deliveredOnceByTwoServers(t *testing.T, db string) {
	r := newHookReceiver(t)
	a := start(t, db, "-webhooks-allow-private")
	b := start(t, db, "-webhooks-allow-private")
	ca, cb := client{t: t, base: a.url}, client{t: t, base: b.url}
	hook := ca.do("POST", "/admin/webhooks", adminToken, `{"url":"`+r.URL+`/hook","events":["account.create"]}`, http.StatusCreated)
	secret := hook["secret"].(string)

	const changes = 12
	for i := range changes {
		c := ca
		if i%2 == 1 {
			c = cb
		}
		c.do("POST", "/admin/service-accounts", adminToken, fmt.Sprintf(`{"label":"a%d"}`, i), http.StatusCreated)
	}
	ids := map[string]int{}
	for range changes {
		got := r.next(t, 10*time.Second)
		verifyHook(t, secret, got)
		ids[got.header.Get("webhook-id")]++
	}
	a.stop()
	b.stop() // both senders finished what they held
	close(r.got)
	for extra := range r.got {
		ids[extra.header.Get("webhook-id")]++
	}
	require.Len(t, ids, changes)
	for id, n := range ids {
		require.Equal(t, 1, n, "delivery %s", id)
	}
}

// TestAPendingDeliverySurvivesARestart: the receiver fails the first
// attempt, the server stops with the retry pending, and the restarted
// server sends it (after the 5 s pause) with the same webhook-id and body.
func TestAPendingDeliverySurvivesARestart(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "restart.db")
	r := newHookReceiver(t, http.StatusInternalServerError)
	srv := start(t, db, "-webhooks-allow-private")
	c := client{t: t, base: srv.url}
	hook := c.do("POST", "/admin/webhooks", adminToken, `{"url":"`+r.URL+`","events":["account.create"]}`, http.StatusCreated)
	c.do("POST", "/admin/service-accounts", adminToken, `{"label":"x"}`, http.StatusCreated)
	first := r.next(t, 10*time.Second)
	verifyHook(t, hook["secret"].(string), first)
	srv.stop()

	srv = start(t, db, "-webhooks-allow-private")
	c = client{t: t, base: srv.url}
	second := r.next(t, 20*time.Second)
	verifyHook(t, hook["secret"].(string), second)
	assert.Equal(t, first.header.Get("webhook-id"), second.header.Get("webhook-id"))
	assert.Equal(t, first.body, second.body)
	var body struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(second.body, &body))
	assert.Equal(t, "account.create", body.Type)

	var deliveries map[string]any
	waitFor(t, 50*time.Millisecond, func() (bool, string) {
		deliveries = c.do("GET", "/admin/webhooks/"+hook["id"].(string)+"/deliveries", adminToken, "", http.StatusOK)
		d := deliveries["items"].([]any)[0].(map[string]any)
		return d["state"] == "delivered", fmt.Sprint(d)
	})
	d := deliveries["items"].([]any)[0].(map[string]any)
	require.Len(t, d["attempts"], 2)
	assert.EqualValues(t, 500, d["attempts"].([]any)[0].(map[string]any)["statusCode"])
	srv.stop()
}
