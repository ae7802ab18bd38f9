package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

func TestOperationsEndpoints(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:")
	c := client{t: t, base: srv.url}

	status, body, header := getRaw(t, srv.url+"/healthz")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok\n", body)
	assert.Equal(t, "no-store", header.Get("Cache-Control"))
	status, body, _ = getRaw(t, srv.url+"/readyz")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ready\n", body)

	// Requests move the middleware's counters, as Prometheus reads them.
	account := c.do("POST", "/admin/service-accounts", adminToken, `{"label":"Metrics reader"}`, http.StatusCreated)
	id := account["id"].(string)
	key := c.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, `{}`, http.StatusCreated)["key"].(string)
	c.do("POST", "/admin/service-accounts/"+id+"/permissions", adminToken,
		`{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses","limiter":[{"surveyKey":"intake"}]}`, http.StatusCreated)
	for range 3 {
		c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=intake", key, "", http.StatusOK)
	}
	c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=weekly", key, "", http.StatusForbidden)
	c.do("GET", "/v1/whoami", "", "", http.StatusUnauthorized)
	c.do("GET", "/v1/whoami", corrupt(key), "", http.StatusUnauthorized)

	status, metrics, header := getRaw(t, srv.url+"/metrics")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, header.Get("Content-Type"), "text/plain")
	assert.Equal(t, 4.0, metricValue(t, metrics, "serviceaccounts_authentications_total", `code="ok"`))
	assert.Equal(t, 1.0, metricValue(t, metrics, "serviceaccounts_authentications_total", `code="no_credentials"`))
	assert.Equal(t, 1.0, metricValue(t, metrics, "serviceaccounts_authentications_total", `code="malformed_key"`))
	assert.Equal(t, 3.0, metricValue(t, metrics, "serviceaccounts_authorizations_total", `code="ok"`))
	assert.Equal(t, 1.0, metricValue(t, metrics, "serviceaccounts_authorizations_total", `code="forbidden"`))
	assert.Equal(t, 3.0, metricValue(t, metrics, "serviceaccounts_cache_lookups_total", `result="hit"`))
	assert.Equal(t, 2.0, metricValue(t, metrics, "serviceaccounts_cache_lookups_total", `result="miss"`))
	assert.Equal(t, 1.0, metricValue(t, metrics, "serviceaccounts_store_lookup_duration_seconds_count", `outcome="found"`))
	assert.Equal(t, 0.0, metricValue(t, metrics, "serviceaccounts_example_accesslog_dropped_total", ""))
	assert.Equal(t, 1.0, metricValue(t, metrics, "target_info", `service_name="serviceaccounts-example"`))
	assert.NotContains(t, metrics, key)
	assert.NotContains(t, metrics, "Metrics reader")
	srv.stop()
}

func TestMetricsShowTheGoRuntimeTheProcessAndTheService(t *testing.T) {
	t.Parallel()
	// An SQLite file: a database other instances may share, so the change
	// feed runs and its counters are served too.
	srv := start(t, "sqlite:"+filepath.Join(t.TempDir(), "metrics.db"), "-service-name", "billing-keys")
	status, metrics, _ := getRaw(t, srv.url+"/metrics")
	require.Equal(t, http.StatusOK, status)

	// The Go runtime (OpenTelemetry's contrib instrumentation) and the
	// process (Prometheus's process collector).
	assert.Greater(t, metricValue(t, metrics, "go_goroutine_count", ""), 0.0)
	assert.Greater(t, metricValue(t, metrics, "go_memory_used_bytes", `go_memory_type="other"`), 0.0)
	assert.Greater(t, metricValue(t, metrics, "process_resident_memory_bytes", ""), 0.0)
	assert.Greater(t, metricValue(t, metrics, "process_start_time_seconds", ""), 0.0)
	metricValue(t, metrics, "process_cpu_seconds_total", "")

	// The service, by name and the module's version, on target_info.
	assert.Equal(t, 1.0, metricValue(t, metrics, "target_info", `service_name="billing-keys"`))
	assert.Regexp(t, `(?m)^target_info\{.*service_version="[^"]+".*\} 1$`, metrics)
	// The library's scopes carry the module's version.
	assert.Regexp(t, `(?m)^serviceaccounts_authentications_total\{.*otel_scope_version="[^"]+".*\} 0$`, metrics)

	// Failure counters are there before any failure, at 0: alerts need no
	// "or vector(0)".
	assert.Equal(t, 0.0, metricValue(t, metrics, "serviceaccounts_lastused_flush_failures_total", ""))
	for _, op := range []string{"poll", "listen", "prune", "other"} {
		assert.Equal(t, 0.0, metricValue(t, metrics, "serviceaccounts_feed_failures_total", `operation="`+op+`"`), op)
	}
	assert.Equal(t, 0.0, metricValue(t, metrics, "serviceaccounts_feed_changes_total", ""))
	srv.stop()
}

func TestTheMetricsSDKStaysInTheExampleServer(t *testing.T) {
	t.Parallel()
	// The library records through the metric API only (DESIGN: the SDK and
	// exporters only in the example server): none of its packages, test
	// helpers included, may reach the SDK, an exporter, Prometheus's client
	// or the runtime instrumentation that /metrics uses.
	// `work`: every module of the workspace (store/sqlstore is library
	// too); the tests module is tests only.
	out, err := exec.Command("go", "list", "work").Output()
	require.NoError(t, err)
	var library []string
	for _, p := range strings.Fields(string(out)) {
		if !strings.Contains(p, "/examples/") && !strings.Contains(p, "/bench/") && !strings.Contains(p, "/cmd/") && !strings.Contains(p, "/tests/") {
			library = append(library, p)
		}
	}
	require.Contains(t, library, "github.com/seed-c7fc2061/serviceaccounts/middleware")
	require.Contains(t, library, "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres")
	out, err = exec.Command("go", append([]string{"list", "-deps"}, library...)...).Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		for _, forbidden := range []string{"go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters/",
			"go.opentelemetry.io/contrib/instrumentation/runtime", "github.com/prometheus/client_golang/"} {
			assert.False(t, strings.HasPrefix(dep, forbidden), "a library package depends on %s", dep)
		}
	}
}

func TestAccessLogKeepsItsLastLinesAtSIGTERM(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:")
	// Distinct paths, each a line; the server is stopped right after the
	// last answer, well within the writer's one-second flush interval.
	const n = 200
	for i := range n {
		status, _, _ := getRaw(t, fmt.Sprintf("%s/v1/nothing-%03d", srv.url, i))
		require.Equal(t, http.StatusNotFound, status)
	}
	srv.stop()
	logs := srv.stderr.String()
	for i := range n {
		require.Contains(t, logs, fmt.Sprintf("path=/v1/nothing-%03d status=404", i))
	}
	// Whole lines only: every line of the log is one record.
	for line := range strings.Lines(logs) {
		require.True(t, strings.HasPrefix(line, "time="), "torn line %q", line)
	}
}

func TestAccessLogCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:", "-access-log=false")
	status, _, _ := getRaw(t, srv.url+"/v1/nothing")
	require.Equal(t, http.StatusNotFound, status)
	srv.stop()
	assert.NotContains(t, srv.stderr.String(), "msg=request")
}

// TestReadyzFollowsTheDatabase puts a TCP proxy between the server and
// PostgreSQL and cuts it: the database is gone for the server (and only for
// it; the shared test database keeps running for everyone else).
func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	pg, err := url.Parse(sqltest.PostgresURL(t))
	require.NoError(t, err)
	proxy := newProxy(t, pg.Host)
	pg.Host = proxy.addr
	srv := start(t, pg.String())

	status, _, _ := getRaw(t, srv.url+"/readyz")
	require.Equal(t, http.StatusOK, status)

	proxy.cut()
	status, body, header := getRaw(t, srv.url+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, status, body)
	require.Equal(t, "application/problem+json", header.Get("Content-Type"))
	var problem map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &problem))
	assert.Equal(t, 503.0, problem["status"])
	assert.Equal(t, "unavailable", problem["code"])
	assert.Equal(t, "urn:serviceaccounts:problem:unavailable", problem["type"])
	assert.Equal(t, "the store did not answer a ping within 1s", problem["detail"])
	assert.NotContains(t, body, proxy.addr, "the address is for the log, not the client")
	// The process still serves.
	status, _, _ = getRaw(t, srv.url+"/healthz")
	require.Equal(t, http.StatusOK, status)

	proxy.restore()
	// database/sql finds the pooled connection broken and dials again, at
	// most once per broken connection: a few attempts, no waiting.
	for range 3 {
		if status, _, _ = getRaw(t, srv.url+"/readyz"); status == http.StatusOK {
			break
		}
	}
	require.Equal(t, http.StatusOK, status)
	srv.stop()
	assert.Contains(t, srv.stderr.String(), "readyz: the store did not answer a ping")
}

func getRaw(t *testing.T, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}

// metricValue returns the value of the sample of name whose labels include
// label ("" for any), from a Prometheus text exposition.
func metricValue(t *testing.T, exposition, name, label string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(?:\{([^}]*)\})? (\S+)$`)
	for _, m := range re.FindAllStringSubmatch(exposition, -1) {
		if label == "" || strings.Contains(m[1], label) {
			var v float64
			_, err := fmt.Sscan(m[2], &v)
			require.NoError(t, err)
			return v
		}
	}
	t.Fatalf("no sample %s{%s} in:\n%s", name, label, exposition)
	return 0
}

// proxy forwards TCP connections from a loopback port to target until cut.
type proxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

// cut stops listening and closes every connection: to its clients the
// database is down (connections refused).
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address.
func (p *proxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(p.t, err)
	p.serve(ln)
}
