package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// These tests build the example server, run it as a separate process over
// real HTTP and a real database, and walk the README's curl flow.

const adminToken = "e2e-admin-token-0123456789"

func TestEndToEndSQLite(t *testing.T) {
	t.Parallel()
	walkthrough(t, "sqlite:"+filepath.Join(t.TempDir(), "e2e.db"))
}

func TestEndToEndPostgres(t *testing.T) {
	t.Parallel()
	walkthrough(t, sqltest.PostgresURL(t))
}

func TestEndToEndMySQL(t *testing.T) {
	t.Parallel()
	walkthrough(t, sqltest.MySQLURL(t))
}

func TestEndToEndMemory(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:")
	c := client{t: t, base: srv.url}
	c.do("GET", "/admin/service-accounts", adminToken, "", http.StatusOK)
	srv.stop()
}

func walkthrough(t *testing.T, db string) {
	srv := start(t, db)
	c := client{t: t, base: srv.url}

	// The admin API is closed without the token.
	c.do("GET", "/admin/service-accounts", "", "", http.StatusUnauthorized)
	c.do("GET", "/admin/service-accounts", "wrong-token-wrong-token", "", http.StatusUnauthorized)

	// Create an account, a key, and a permission with a limiter.
	account := c.do("POST", "/admin/service-accounts", adminToken,
		`{"label":"Tekenradar export","description":"Nightly download of survey responses"}`, http.StatusCreated)
	id := account["id"].(string)
	created := c.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, `{"expiresAt":null}`, http.StatusCreated)
	key := created["key"].(string)
	keyID := created["id"].(string)
	require.True(t, strings.HasPrefix(key, "sa_"))
	perm := c.do("POST", "/admin/service-accounts/"+id+"/permissions", adminToken,
		`{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses","limiter":[{"surveyKey":"intake"}]}`, http.StatusCreated)
	permID := perm["id"].(string)

	// The key works where the permission allows, and only there.
	who := c.do("GET", "/v1/whoami", key, "", http.StatusOK)
	assert.Equal(t, id, who["serviceAccountId"])
	assert.Equal(t, "Tekenradar export", who["label"])
	c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=intake", key, "", http.StatusOK)
	denied := c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=weekly", key, "", http.StatusForbidden)
	assert.Contains(t, denied["detail"], "study/tekenradar/get-responses")
	c.do("GET", "/v1/studies/other/responses?surveyKey=intake", key, "", http.StatusForbidden)
	c.do("GET", "/v1/studies/tekenradar/reports?reportKey=r1", key, "", http.StatusForbidden)
	c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=intake", "", "", http.StatusUnauthorized)
	c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=intake", corrupt(key), "", http.StatusUnauthorized)

	// Edit the limiter: now weekly is allowed too.
	c.do("PUT", "/admin/service-accounts/"+id+"/permissions/"+permID+"/limiter", adminToken,
		`{"limiter":[{"surveyKey":["intake","weekly"]}]}`, http.StatusOK)
	c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=weekly", key, "", http.StatusOK)

	// The flush interval is an hour: last use is still only in memory.
	keys := c.do("GET", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusOK)
	assert.Nil(t, keys["items"].([]any)[0].(map[string]any)["lastUsedAt"])
	lastUse := time.Now().UTC()

	// SIGTERM flushes last use; a restart finds everything again.
	srv.stop()
	assert.NotContains(t, srv.stderr.String(), key, "the key never reaches the log")
	srv = start(t, db)
	c.base = srv.url

	keys = c.do("GET", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusOK)
	items := keys["items"].([]any)
	require.Len(t, items, 1)
	stored := items[0].(map[string]any)
	assert.Equal(t, keyID, stored["id"])
	assert.NotContains(t, stored, "key", "the plaintext is never shown again")
	require.NotNil(t, stored["lastUsedAt"], "the use just before SIGTERM survived the restart")
	usedAt, err := time.Parse(time.RFC3339Nano, stored["lastUsedAt"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, lastUse, usedAt, time.Minute)

	perms := c.do("GET", "/admin/service-accounts/"+id+"/permissions", adminToken, "", http.StatusOK)
	assert.Equal(t, []any{map[string]any{"surveyKey": []any{"intake", "weekly"}}}, perms["items"].([]any)[0].(map[string]any)["limiter"])
	c.do("GET", "/v1/studies/tekenradar/responses?surveyKey=weekly", key, "", http.StatusOK)

	// Deleting the key stops it at once; deleting the account removes it.
	c.do("DELETE", "/admin/service-accounts/"+id+"/api-keys/"+keyID, adminToken, "", http.StatusNoContent)
	c.do("GET", "/v1/whoami", key, "", http.StatusUnauthorized)
	c.do("DELETE", "/admin/service-accounts/"+id, adminToken, "", http.StatusNoContent)
	c.do("GET", "/admin/service-accounts/"+id, adminToken, "", http.StatusNotFound)

	// The audit log shows every step, newest first, with the actor, after
	// the account is gone; and never the key.
	log := c.do("GET", "/admin/audit-events?serviceAccountId="+id, adminToken, "", http.StatusOK)
	var actions []string
	for _, it := range log["items"].([]any) {
		e := it.(map[string]any)
		actions = append(actions, e["action"].(string))
		actor := e["actor"].(map[string]any)
		assert.Equal(t, "admin-token", actor["id"])
		assert.True(t, strings.HasPrefix(actor["address"].(string), "127.0.0.1:"), actor["address"])
		assert.True(t, strings.HasPrefix(actor["userAgent"].(string), "Go-http-client/"), actor["userAgent"])
		raw, err := json.Marshal(e)
		require.NoError(t, err)
		assert.NotContains(t, string(raw), key)
	}
	assert.Equal(t, []string{"account.delete", "key.delete", "permission.update", "permission.create", "key.create", "account.create"}, actions)
	srv.stop()
	assert.NotContains(t, srv.stderr.String(), key, "the key never reaches the log")
}

func TestDatabasePasswordIsNotPrinted(t *testing.T) {
	t.Parallel()
	db := sqltest.PostgresURL(t)
	sep := "?"
	if strings.Contains(db, "?") {
		sep = "&"
	}
	// Trust authentication ignores the password, so the server starts.
	srv := start(t, db+sep+"password=hunter2-not-shown")
	srv.stop()
	assert.NotContains(t, srv.banner, "hunter2-not-shown")
	assert.Contains(t, srv.banner, "password=xxxxx")
	assert.NotContains(t, srv.stderr.String(), "hunter2-not-shown")
}

// corrupt changes the key's last character to a different one, so the
// checksum no longer matches.
func corrupt(key string) string {
	last := "x"
	if key[len(key)-1] == 'x' {
		last = "y"
	}
	return key[:len(key)-1] + last
}

type client struct {
	t    *testing.T
	base string
}

// do sends a request with a bearer token (if any) and checks the status;
// it returns the decoded JSON object, or nil for an empty body.
func (c *client) do(method, path, token, body string, wantStatus int) map[string]any {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	require.NoError(c.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	require.Equal(c.t, wantStatus, resp.StatusCode, "%s %s: %s", method, path, raw)
	if len(raw) == 0 {
		return nil
	}
	var out map[string]any
	require.NoError(c.t, json.Unmarshal(raw, &out), "%s %s: %s", method, path, raw)
	return out
}

type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	banner string
	stdout *lineReader
	stderr *bytes.Buffer
	done   chan error
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// start runs the server binary on a free port, with more flags if given,
// and waits until it listens.
func start(t *testing.T, db string, flags ...string) *server {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-db", db, "-flush-interval", "1h", "-cache-ttl", "10s"}, flags...)
	cmd := exec.Command(serverBinary(t), args...)
	cmd.Env = append(os.Environ(), "ADMIN_TOKEN="+adminToken)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	s := &server{t: t, cmd: cmd, stdout: newLineReader(stdout), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	require.NoError(t, cmd.Start())
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	line := s.stdout.waitFor(t, listening, 30*time.Second, s.done)
	s.url = listening.FindStringSubmatch(line)[1]
	s.banner = line
	return s
}

// stop sends SIGTERM and requires a clean exit.
func (s *server) stop() {
	s.t.Helper()
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.done:
		require.NoError(s.t, err, "server exit; stderr:\n%s", s.stderr)
	case <-time.After(30 * time.Second):
		s.t.Fatalf("server did not stop within 30s; stderr:\n%s", s.stderr)
	}
	assert.NotContains(s.t, s.stderr.String(), adminToken, "the admin token never reaches the log")
}

// lineReader collects a process's output lines as they arrive.
type lineReader struct {
	lines chan string
}

func newLineReader(r io.Reader) *lineReader {
	lr := &lineReader{lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lr.lines <- sc.Text()
		}
		close(lr.lines)
	}()
	return lr
}

func (lr *lineReader) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration, exited <-chan error) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-lr.lines:
			if !ok {
				t.Fatalf("server output ended before %q: %v", re, <-exited)
			}
			if re.MatchString(line) {
				return line
			}
		case <-deadline:
			t.Fatalf("server did not print %q within %s", re, timeout)
		}
	}
}

var built struct {
	path string
	err  error
}

// serverBinary builds the example server once per test binary.
func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sa-e2e-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "server")
		// The go command running this test is the one on PATH.
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, built.err)
	return built.path
}

func TestGeneratedAdminTokenIsPrintedOnceAndWorks(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(serverBinary(t), "-addr", "127.0.0.1:0", "-db", "memory:")
	cmd.Env = []string{} // no ADMIN_TOKEN
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := newLineReader(stdout)
	url := listening.FindStringSubmatch(lines.waitFor(t, listening, 30*time.Second, done))[1]
	tokenLine := regexp.MustCompile(`admin token .*: (\S+)$`)
	token := tokenLine.FindStringSubmatch(lines.waitFor(t, tokenLine, 5*time.Second, done))[1]

	c := client{t: t, base: url}
	c.do("GET", "/admin/service-accounts", token, "", http.StatusOK)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, <-done)
	assert.NotContains(t, stderr.String(), token, "printed on stdout once, never logged")
}

// TestPolicyFlagsReachTheAPI: -max-keys and -max-key-lifetime become the
// Manager's policy, shown by GET /admin/policy and enforced.
func TestPolicyFlagsReachTheAPI(t *testing.T) {
	t.Parallel()
	srv := start(t, "memory:", "-max-keys", "1", "-max-key-lifetime", "2160h")
	c := client{t: t, base: srv.url}
	policy := c.do("GET", "/admin/policy", adminToken, "", http.StatusOK)
	assert.Equal(t, map[string]any{"maxKeysPerAccount": float64(1), "maxKeyLifetimeSeconds": float64(7776000),
		"defaultKeyLifetimeSeconds": float64(0), "maxRotationGraceSeconds": float64(604800),
		"leakedKeyAction": "disable", "unusedKeyDays": float64(90), "stored": false}, policy)
	id := c.do("POST", "/admin/service-accounts", adminToken, `{"label":"capped"}`, http.StatusCreated)["id"].(string)
	keys := "/admin/service-accounts/" + id + "/api-keys"
	c.do("POST", keys, adminToken, ``, http.StatusBadRequest) // an expiry is required
	expiry := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	c.do("POST", keys, adminToken, `{"expiresAt":"`+expiry+`"}`, http.StatusCreated)
	conflict := c.do("POST", keys, adminToken, `{"expiresAt":"`+expiry+`"}`, http.StatusConflict)
	assert.Contains(t, conflict["detail"], "MaxKeysPerAccount is 1")
	srv.stop()
}
