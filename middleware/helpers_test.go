package middleware_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// t0 is where every fake clock starts.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// waitFor bounds how long a test waits for a goroutine of the middleware
// to report through a channel. It is a safety net against a hung test, not
// a sleep: a passing test never waits for it.
const waitFor = 10 * time.Second

var errStoreDown = errors.New("connection refused")

// countingStore wraps a Store to count the calls the middleware makes, to
// fail them on demand and to hold a lookup at a chosen point.
type countingStore struct {
	store.Store

	lookups     atomic.Int64
	failLookups atomic.Bool
	// onLookup, when set, runs at the start of every KeyByHash.
	onLookup func()
	// decorate, when set, changes every credential KeyByHash finds: how
	// the tests give keys restrictions that the Manager does not set yet.
	decorate func(*serviceaccount.Credential)
	// When holdLookups is set, KeyByHash reads the store, then reports on
	// lookupHeld and waits for release before returning what it read.
	holdLookups atomic.Bool
	lookupHeld  chan struct{}
	release     chan struct{}

	touchCalls  atomic.Int64
	failTouches atomic.Bool
	touched     chan []serviceaccount.KeyTouch // every KeysTouch call, failed or not
	// When touchGate is set, KeysTouch reports on touchHeld and waits for
	// the gate to close before doing anything.
	touchGate chan struct{}
	touchHeld chan struct{}
}

func newCountingStore(st store.Store) *countingStore {
	return &countingStore{
		Store:      st,
		lookupHeld: make(chan struct{}, 1000),
		release:    make(chan struct{}),
		touched:    make(chan []serviceaccount.KeyTouch, 1000),
		touchHeld:  make(chan struct{}, 1000),
	}
}

func (s *countingStore) KeyByHash(ctx context.Context, h apikey.Hash) (serviceaccount.Credential, error) {
	s.lookups.Add(1)
	if s.onLookup != nil {
		s.onLookup()
	}
	if s.failLookups.Load() {
		return serviceaccount.Credential{}, errStoreDown
	}
	c, err := s.Store.KeyByHash(ctx, h)
	if err == nil && s.decorate != nil {
		s.decorate(&c)
	}
	if s.holdLookups.Load() {
		s.lookupHeld <- struct{}{}
		<-s.release
	}
	return c, err
}

func (s *countingStore) KeysTouch(ctx context.Context, touches []serviceaccount.KeyTouch) error {
	if s.touchGate != nil {
		s.touchHeld <- struct{}{}
		<-s.touchGate
	}
	s.touchCalls.Add(1)
	// Decided before reporting the call, so that a test changing
	// failTouches after nextTouch affects only later calls.
	fail := s.failTouches.Load()
	var err error
	if fail {
		err = errStoreDown
	} else {
		err = s.Store.KeysTouch(ctx, touches)
	}
	s.touched <- append([]serviceaccount.KeyTouch(nil), touches...)
	return err
}

// nextTouch waits for the next KeysTouch call.
func (s *countingStore) nextTouch(t *testing.T) []serviceaccount.KeyTouch {
	t.Helper()
	select {
	case batch := <-s.touched:
		return batch
	case <-time.After(waitFor):
		t.Fatal("no KeysTouch call")
		return nil
	}
}

// syncBuffer is a log destination the flusher goroutine and the test can
// share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is one Manager on a counting memory store with a fake clock, an
// account "Data pipeline" holding study/tekenradar/get-responses limited to
// surveys s1 and s2, one key of it, and a middleware.
type fixture struct {
	t       *testing.T
	clock   *clockwork.FakeClock
	store   *countingStore
	mgr     *serviceaccount.Manager
	mw      *middleware.Middleware
	logs    *syncBuffer
	account serviceaccount.Account
	key     string
	keyID   uuid.UUID
	closed  bool
}

// close closes the middleware; the fixture's clean-up then leaves it alone.
func (f *fixture) close() error {
	f.closed = true
	return f.mw.Close(context.Background())
}

func newFixture(t *testing.T, configure ...func(*middleware.Config)) *fixture {
	t.Helper()
	f := &fixture{
		t:     t,
		clock: clockwork.NewFakeClockAt(t0),
		store: newCountingStore(memstore.New()),
		logs:  &syncBuffer{},
	}
	var err error
	f.mgr, err = serviceaccount.NewManager(serviceaccount.Config{Store: f.store, Clock: f.clock})
	require.NoError(t, err)
	f.account = f.createAccount("Data pipeline")
	f.addPermission(f.account, "study", "tekenradar", "get-responses", `[{"surveyKey":["s1","s2"]}]`)
	created := f.createKey(f.account, nil)
	f.key, f.keyID = created.Plaintext, created.Key.ID

	cfg := middleware.Config{
		Manager: f.mgr,
		Logger:  slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, c := range configure {
		c(&cfg)
	}
	f.mw, err = middleware.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		if !f.closed {
			require.NoError(t, f.mw.Close(context.Background()))
		}
		// No log line may carry a key or a hash, whatever the test did.
		logs := f.logs.String()
		require.NotContains(t, logs, f.key)
		h := apikey.HashKey(f.key)
		require.NotContains(t, logs, hex.EncodeToString(h[:]))
		require.NotContains(t, logs, base64.StdEncoding.EncodeToString(h[:]))
		require.NotContains(t, logs, base64.RawURLEncoding.EncodeToString(h[:]))
	})
	return f
}

func (f *fixture) createAccount(label string) serviceaccount.Account {
	f.t.Helper()
	a, err := f.mgr.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: label})
	require.NoError(f.t, err)
	return a
}

func (f *fixture) createKey(a serviceaccount.Account, expiresAt *time.Time) serviceaccount.CreatedKey {
	f.t.Helper()
	k, err := f.mgr.CreateKey(context.Background(), a.ID, serviceaccount.CreateKeyInput{ExpiresAt: expiresAt})
	require.NoError(f.t, err)
	return k
}

func (f *fixture) addPermission(a serviceaccount.Account, resourceType, resourceKey, action, limiterJSON string) {
	f.t.Helper()
	in := serviceaccount.PermissionInput{ResourceType: resourceType, ResourceKey: resourceKey, Action: action}
	if limiterJSON != "" {
		in.Limiter = json.RawMessage(limiterJSON)
	}
	_, err := f.mgr.AddPermission(context.Background(), a.ID, in)
	require.NoError(f.t, err)
}

// handler is the application the tests serve:
//
//	GET /whoami                           any valid key; the principal as JSON
//	GET /studies/{studyKey}/responses     study/{studyKey}/get-responses, surveyKey from the query
func (f *fixture) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whoami", whoami)
	mux.Handle("GET /studies/{studyKey}/responses",
		middleware.Require("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey")))(http.HandlerFunc(ok)))
	return f.mw.Authenticate(mux)
}

func ok(w http.ResponseWriter, r *http.Request) {
	if _, found := middleware.FromContext(r.Context()); !found {
		http.Error(w, "no principal", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "ok")
}

func whoami(w http.ResponseWriter, r *http.Request) {
	p, found := middleware.FromContext(r.Context())
	if !found {
		http.Error(w, "no principal", http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{
		"serviceAccountId": p.AccountID,
		"keyId":            p.KeyID,
		"label":            p.Label,
		"keyHint":          p.KeyHint,
		"expiresAt":        p.ExpiresAt,
		"permissions":      p.Permissions.Len(),
	})
}

// get serves GET target with the key as a bearer token ("" for none).
func get(h http.Handler, target, key string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	return serve(h, r)
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// requireProblem checks an RFC 9457 answer and returns its detail.
func requireProblem(t *testing.T, w *httptest.ResponseRecorder, status int) string {
	t.Helper()
	require.Equal(t, status, w.Code, "body: %s", w.Body)
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	var p middleware.Problem
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
	require.Equal(t, "urn:serviceaccounts:problem:"+p.Code, p.Type)
	require.NotEmpty(t, p.Code)
	require.Equal(t, status, p.Status)
	require.Equal(t, http.StatusText(status), p.Title)
	require.NotEmpty(t, p.Detail)
	return p.Detail
}

// requireUnauthorized checks a 401 and its challenge, and that the body
// does not echo the key.
func requireUnauthorized(t *testing.T, w *httptest.ResponseRecorder, challenge, detailPart, key string) {
	t.Helper()
	detail := requireProblem(t, w, http.StatusUnauthorized)
	require.Equal(t, challenge, w.Header().Get("WWW-Authenticate"))
	require.Contains(t, detail, detailPart)
	if key != "" {
		require.NotContains(t, w.Body.String(), key)
	}
}

const invalidToken = `Bearer error="invalid_token"`

// otherKey returns a well-formed key that the store does not hold.
func otherKey(t *testing.T) string {
	t.Helper()
	k, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(t, err)
	return k
}

// malformed changes the checksum of a key.
func malformed(key string) string {
	last := "0"
	if strings.HasSuffix(key, "0") {
		last = "1"
	}
	return key[:len(key)-1] + last
}
