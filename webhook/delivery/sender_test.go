package delivery_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
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

func TestADeliveryIsSignedAndSentSoonAfterTheChange(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	in := newInstance(t, memstore.New(), clock)
	r := newReceiver(t)
	hook, err := in.m.CreateWebhook(t.Context(), serviceaccount.WebhookInput{URL: r.URL + "/hook", Events: []string{"account.create"}})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- in.sender.Run(ctx) }()

	a, err := in.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "pipeline"})
	require.NoError(t, err)
	got := r.next(t) // woken by the change: no clock advance needed
	verify(t, hook.Secret, got)
	require.Equal(t, strconv.FormatInt(clock.Now().Unix(), 10), got.header.Get("webhook-timestamp"))
	var body struct {
		Type      string         `json:"type"`
		Timestamp string         `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got.body, &body))
	require.Equal(t, "account.create", body.Type)
	require.Equal(t, a.ID.String(), body.Data["serviceAccountId"])
	require.Equal(t, "account.create", body.Data["action"])

	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	page, err := in.m.ListDeliveries(t.Context(), hook.ID, serviceaccount.PageParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	d := page.Items[0]
	require.Equal(t, store.DeliveryDelivered, d.State, "the shutdown waited for the record")
	require.Equal(t, d.ID.String(), got.header.Get("webhook-id"))
	require.Len(t, d.Attempts, 1)
	require.Equal(t, http.StatusNoContent, d.Attempts[0].StatusCode)
	r.none(t)
}

func TestAFailedDeliveryIsRetriedOnTheScheduleWithTheSameIDAndBody(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	st := memstore.New()
	in := newInstance(t, st, clock)
	r := newReceiver(t, http.StatusInternalServerError, http.StatusServiceUnavailable)
	hook, err := in.m.CreateWebhook(t.Context(), serviceaccount.WebhookInput{URL: r.URL, Events: []string{"account.create"}})
	require.NoError(t, err)
	_, err = in.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "pipeline"})
	require.NoError(t, err)
	ctx := t.Context()

	n, err := in.sender.SendDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	first := r.next(t)
	verify(t, hook.Secret, first)

	clock.Advance(5*time.Second - time.Microsecond)
	n, err = in.sender.SendDue(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "not before the 5 s retry")
	clock.Advance(time.Microsecond)
	n, err = in.sender.SendDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	second := r.next(t)
	verify(t, hook.Secret, second)
	require.Equal(t, first.header.Get("webhook-id"), second.header.Get("webhook-id"), "the same webhook-id")
	require.Equal(t, first.body, second.body, "a byte-identical body")
	require.NotEqual(t, first.header.Get("webhook-timestamp"), second.header.Get("webhook-timestamp"), "a timestamp per attempt")

	clock.Advance(5 * time.Minute)
	_, err = in.sender.SendDue(ctx)
	require.NoError(t, err)
	verify(t, hook.Secret, r.next(t))

	page, err := in.m.ListDeliveries(ctx, hook.ID, serviceaccount.PageParams{})
	require.NoError(t, err)
	d := page.Items[0]
	require.Equal(t, store.DeliveryDelivered, d.State)
	require.Equal(t, []int{500, 503, 204}, []int{d.Attempts[0].StatusCode, d.Attempts[1].StatusCode, d.Attempts[2].StatusCode})
	require.Equal(t, start, d.Attempts[0].At)
	require.Equal(t, start.Add(5*time.Second), d.Attempts[1].At)
}

func TestADeliveryFailsAfterTheWholeSchedule(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	in := newInstance(t, memstore.New(), clock)
	statuses := make([]int, 20)
	for i := range statuses {
		statuses[i] = http.StatusBadGateway
	}
	r := newReceiver(t, statuses...)
	hook, err := in.m.CreateWebhook(t.Context(), serviceaccount.WebhookInput{URL: r.URL, Events: []string{"account.create"}})
	require.NoError(t, err)
	_, err = in.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "x"})
	require.NoError(t, err)
	var total time.Duration
	for attempt := 1; ; attempt++ {
		n, err := in.sender.SendDue(t.Context())
		require.NoError(t, err)
		require.Equal(t, 1, n, "attempt %d", attempt)
		r.next(t)
		pause, ok := delivery.Schedule(attempt)
		if !ok {
			require.Equal(t, 8, attempt, "eight attempts in all")
			break
		}
		total += pause
		clock.Advance(pause)
	}
	require.Greater(t, total, 24*time.Hour, "retried for at least 24 hours")
	page, err := in.m.ListDeliveries(t.Context(), hook.ID, serviceaccount.PageParams{})
	require.NoError(t, err)
	require.Equal(t, store.DeliveryFailed, page.Items[0].State)
	require.Len(t, page.Items[0].Attempts, 8)
	require.Nil(t, page.Items[0].NextAttemptAt)
	clock.Advance(48 * time.Hour)
	n, err := in.sender.SendDue(t.Context())
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestAReceiverThatHangsOrRedirectsDoesNotHoldUpAnother(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	in := newInstance(t, memstore.New(), clock)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	redirect := httptest.NewServer(http.RedirectHandler("http://127.0.0.1:1/", http.StatusFound))
	t.Cleanup(redirect.Close)
	good := newReceiver(t)
	for _, url := range []string{hang.URL, redirect.URL, good.URL} {
		_, err := in.m.CreateWebhook(t.Context(), serviceaccount.WebhookInput{URL: url, Events: []string{"account.create"}})
		require.NoError(t, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- in.sender.Run(ctx) }()
	_, err := in.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "x"})
	require.NoError(t, err)
	good.next(t) // arrives while the first receiver still hangs
	cancel()
	release <- struct{}{} // let the hanging one answer so the shutdown can finish
	require.ErrorIs(t, <-done, context.Canceled)
}

// TestASenderPollsForAnotherInstancesDeliveries: a change made through
// another Manager does not wake this sender; its next poll, a second
// later, finds the delivery.
func TestASenderPollsForAnotherInstancesDeliveries(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	st := memstore.New()
	a, b := newInstance(t, st, clock), newInstance(t, st, clock)
	r := newReceiver(t)
	hook, err := a.m.CreateWebhook(t.Context(), serviceaccount.WebhookInput{URL: r.URL, Events: []string{"account.create"}})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.sender.Run(ctx) }()
	require.NoError(t, clock.BlockUntilContext(t.Context(), 1), "b's sender waits for its poll")
	_, err = a.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "x"}) // wakes a's sender, which is not running
	require.NoError(t, err)
	r.none(t)
	clock.Advance(delivery.DefaultPollInterval)
	verify(t, hook.Secret, r.next(t))
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
