// Package delivery_test holds the database tests of webhook/delivery: two
// senders on one database, a restart with a delivery pending. They live
// outside the root module so that an application's build never loads a
// database driver (see bench/footprint/PLAN.md).
package delivery_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/delivery"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
)

var start = time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint on the loopback address that answers
// with the statuses given, in turn (then 204), and hands over what it got.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      chan received
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses, got: make(chan received, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusNoContent
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		r.got <- received{header: req.Header.Clone(), body: body}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

// next waits for the receiver's next request: a wait for an event the
// test caused, bounded so a bug fails rather than hangs.
func (r *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case got := <-r.got:
		return got
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery arrived")
		return received{}
	}
}

func (r *receiver) none(t *testing.T) {
	t.Helper()
	select {
	case got := <-r.got:
		t.Fatalf("unexpected delivery %s", got.body)
	default:
	}
}

type instance struct {
	m      *serviceaccount.Manager
	sender *delivery.Sender
}

func allowPrivate(t *testing.T) *egress.Client {
	c, err := egress.NewClient(egress.Config{AllowPrivate: true})
	require.NoError(t, err)
	return c
}

func newInstance(t *testing.T, st store.Store, clock clockwork.Clock) instance {
	t.Helper()
	client := allowPrivate(t)
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clock, WebhookClient: client})
	require.NoError(t, err)
	s, err := delivery.New(delivery.Config{Store: st, Client: client, Clock: clock, Wake: m.OutboxSignal()})
	require.NoError(t, err)
	return instance{m: m, sender: s}
}

// verify checks a delivery's headers with an implementation of the
// Standard Webhooks signature written here from the specification, not
// the library's: HMAC-SHA256, keyed with the base64-decoded part of the
// secret after "whsec_", of "id.timestamp.body", as "v1," + base64.
func verify(t *testing.T, secret string, got received) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	id, ts := got.header.Get("webhook-id"), got.header.Get("webhook-timestamp")
	require.NotEmpty(t, id)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(got.body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	require.Contains(t, strings.Split(got.header.Get("webhook-signature"), " "), want, "the signature verifies")
	require.Equal(t, "application/json", got.header.Get("Content-Type"))
}
