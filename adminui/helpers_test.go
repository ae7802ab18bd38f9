package adminui_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// start is the fake clock's time: the tests pick expiry dates after it.
var start = time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)

// page is the admin page served over real HTTP under a prefix, with a
// client that does not follow redirects, so each test sees the 303s.
type page struct {
	t      *testing.T
	srv    *httptest.Server
	prefix string
	mgr    *serviceaccount.Manager
	store  *recordingStore
	clock  *clockwork.FakeClock
	logs   *syncBuffer
	client *http.Client
}

type pageConfig struct {
	prefix string // where the page is mounted; "" for the root
	// trailingSlash strips prefix+"/", so the page sees paths without
	// their leading slash.
	trailingSlash bool
	options       adminui.Config
	policy        serviceaccount.Policy
}

func newPage(t *testing.T, cfg pageConfig) *page {
	t.Helper()
	clock := clockwork.NewFakeClockAt(start)
	st := &recordingStore{Store: memstore.New()}
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clock, Policy: cfg.policy})
	require.NoError(t, err)
	logs := &syncBuffer{}
	opts := cfg.options
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	h, err := adminui.New(mgr, opts)
	require.NoError(t, err)
	mux := http.NewServeMux()
	if cfg.prefix == "" {
		mux.Handle("/", h)
	} else if cfg.trailingSlash {
		mux.Handle(cfg.prefix+"/", http.StripPrefix(cfg.prefix+"/", h))
	} else {
		mux.Handle(cfg.prefix+"/", http.StripPrefix(cfg.prefix, h))
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &page{
		t: t, srv: srv, prefix: cfg.prefix, mgr: mgr, store: st, clock: clock, logs: logs,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// response is a finished response with its body read.
type response struct {
	*http.Response
	body string
}

func (p *page) do(req *http.Request) response {
	p.t.Helper()
	res, err := p.client.Do(req)
	require.NoError(p.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(p.t, err)
	assertSecurityHeaders(p.t, res)
	return response{Response: res, body: string(b)}
}

func (p *page) get(path string) response {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.srv.URL+p.prefix+path, nil)
	require.NoError(p.t, err)
	return p.do(req)
}

// post sends a form as a same-origin browser would.
func (p *page) post(path string, form url.Values) response {
	p.t.Helper()
	return p.postRaw(path, "application/x-www-form-urlencoded", form.Encode(), nil)
}

func (p *page) postRaw(path, contentType, body string, header http.Header) response {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.srv.URL+p.prefix+path, strings.NewReader(body))
	require.NoError(p.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", p.srv.URL)
	for k, v := range header {
		req.Header[k] = v
	}
	return p.do(req)
}

// seeOther asserts a 303 to path (under the prefix) with ?done=done.
func (p *page) seeOther(res response, path, done string) {
	p.t.Helper()
	require.Equal(p.t, http.StatusSeeOther, res.StatusCode, res.body)
	assert.Equal(p.t, p.prefix+path+"?done="+done, res.Header.Get("Location"))
}

func (p *page) createAccount(label, description string) uuid.UUID {
	p.t.Helper()
	a, err := p.mgr.CreateAccount(context.Background(), serviceaccount.AccountInput{Label: label, Description: description})
	require.NoError(p.t, err)
	return a.ID
}

func assertSecurityHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	assert.Equal(t, adminui.ContentSecurityPolicy, res.Header.Get("Content-Security-Policy"), res.Request.URL.Path)
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"), res.Request.URL.Path)
	assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
}

// fieldError returns the message shown next to the field with id, and
// asserts that the field points at it and is marked invalid.
func fieldError(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(id) + `-error">([^<]*)</p>`).FindStringSubmatch(body)
	require.NotNil(t, m, "no error shown for field %s", id)
	field := regexp.MustCompile(`<(?:input|textarea|select)[^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	require.NotEmpty(t, field, "no field %s", id)
	assert.Contains(t, field, `aria-invalid="true"`)
	assert.Regexp(t, `aria-describedby="[^"]*`+regexp.QuoteMeta(id)+`-error`, field)
	return m[1]
}

// regexpAll returns the first group of every match of expr in s.
func regexpAll(expr, s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(expr).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// fieldTag returns the opening tag of the field with id.
func fieldTag(t *testing.T, body, id string) string {
	t.Helper()
	tag := regexp.MustCompile(`<(?:input|textarea|select)[^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	require.NotEmpty(t, tag, "no field %s", id)
	return tag
}

// dialogOpen reports whether the dialog with id is rendered open.
func dialogOpen(body, id string) bool {
	return regexp.MustCompile(`<dialog id="` + regexp.QuoteMeta(id) + `"[^>]* open[ >]`).MatchString(body)
}

// recordingStore is a real memstore that can be made to fail, and records
// the actor in the context of every change.
type recordingStore struct {
	store.Store
	mu     sync.Mutex
	fail   error
	actors []serviceaccount.Actor
}

func (s *recordingStore) failWith(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *recordingStore) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fail
}

func (s *recordingStore) InTx(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	if err := s.err(); err != nil {
		return err
	}
	if actor, ok := serviceaccount.ActorFrom(ctx); ok {
		s.mu.Lock()
		s.actors = append(s.actors, actor)
		s.mu.Unlock()
	}
	return s.Store.InTx(ctx, fn)
}

func (s *recordingStore) AccountList(ctx context.Context, tenant string, after uuid.UUID, limit int) ([]serviceaccount.Account, error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	return s.Store.AccountList(ctx, tenant, after, limit)
}

func (s *recordingStore) AccountGet(ctx context.Context, tenant string, id uuid.UUID) (serviceaccount.Account, error) {
	if err := s.err(); err != nil {
		return serviceaccount.Account{}, err
	}
	return s.Store.AccountGet(ctx, tenant, id)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
