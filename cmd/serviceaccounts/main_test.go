package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The binaries under test, built once by TestMain: the tool, and the
// example server that must accept the keys it creates.
var binaries struct {
	dir, cli, server string
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sa-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binaries.dir = dir
	binaries.cli = filepath.Join(dir, "serviceaccounts")
	binaries.server = filepath.Join(dir, "server")
	// The go command running this test is the one on PATH.
	for _, build := range [][]string{
		{"go", "build", "-o", binaries.cli, "."},
		{"go", "build", "-o", binaries.server, "../../examples/server"},
	} {
		if out, err := exec.Command(build[0], build[1:]...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n%s", strings.Join(build, " "), err, out)
			return 1
		}
	}
	return m.Run()
}

// result is one run of the tool.
type result struct {
	code           int
	stdout, stderr string
}

// baseEnv is the test's environment without the variables the tool reads,
// so that a developer's own SA_DB cannot leak into a test.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case envDB, envTablePrefix, envCatalog, envServer, envAdminToken, envTenant:
		default:
			env = append(env, kv)
		}
	}
	return env
}

// runTool runs the built tool to completion with extra environment
// variables.
func runTool(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binaries.cli, args...)
	cmd.Env = append(baseEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
		return r
	}
	require.NoError(t, err)
	return r
}

// tool runs commands against one database and table prefix.
type tool struct {
	t      *testing.T
	db     string
	prefix string
	// secrets are the plaintext keys seen so far: none may ever appear on
	// standard error.
	secrets []string
	// server, when set, is the root of a server on the same store: every
	// command but migrate (which only a database mode has) then runs with
	// --server and the admin token in SA_ADMIN_TOKEN.
	server string
}

func newTool(t *testing.T, db, prefix string) *tool {
	return &tool{t: t, db: db, prefix: prefix}
}

func (c *tool) run(args ...string) result {
	c.t.Helper()
	var env []string
	full := append([]string{"--db", c.db}, args...)
	switch {
	case c.server != "" && (len(args) == 0 || args[0] != "migrate"):
		full = append([]string{"--server", c.server}, args...)
		env = []string{envAdminToken + "=" + testAdminToken}
	case c.prefix != "":
		full = append([]string{"--table-prefix", c.prefix}, full...)
	}
	r := runTool(c.t, env, full...)
	for _, s := range c.secrets {
		require.NotContains(c.t, r.stderr, s, "a plaintext key on standard error")
	}
	for _, out := range []string{r.stdout, r.stderr} {
		require.NotContains(c.t, out, testAdminToken, "the admin token in the output")
	}
	return r
}

// ok runs a command that must succeed and returns its standard output.
func (c *tool) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	require.Equal(c.t, 0, r.code, "%v: stderr: %s", args, r.stderr)
	return r.stdout
}

// json runs a command with -o json that must succeed, print nothing on
// standard error and one JSON document, and decodes it into v.
func (c *tool) json(v any, args ...string) {
	c.t.Helper()
	r := c.run(append(args, "-o", "json")...)
	require.Equal(c.t, 0, r.code, "%v: stderr: %s", args, r.stderr)
	require.Empty(c.t, r.stderr, "%v", args)
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	require.NoError(c.t, dec.Decode(v), "%v: %s", args, r.stdout)
	require.False(c.t, dec.More(), "%v: more than one document", args)
}

// fail runs a command that must fail with code and returns its one line
// of standard error.
func (c *tool) fail(code int, args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	require.Equal(c.t, code, r.code, "%v: stdout: %s stderr: %s", args, r.stdout, r.stderr)
	if code == 1 {
		require.Empty(c.t, r.stdout, "%v", args)
		require.Equal(c.t, 1, strings.Count(r.stderr, "\n"), "%v: one line: %q", args, r.stderr)
		require.True(c.t, strings.HasPrefix(r.stderr, "serviceaccounts: "), r.stderr)
	}
	return r.stderr
}

// exampleServer is the example server's binary running on a free port.
type exampleServer struct {
	url    string
	stderr *bytes.Buffer
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// exampleServerAdminToken is the admin token of the example servers the
// tests start.
const exampleServerAdminToken = "adm_cli_test_token_0123456789"

// startExampleServer runs the example server on db, with a cache TTL short
// enough that changes made by the tool are seen on the next request.
func startExampleServer(t *testing.T, db string) *exampleServer {
	t.Helper()
	cmd := exec.Command(binaries.server, "-addr", "127.0.0.1:0", "-db", db, "-cache-ttl", "1ns", "-flush-interval", "1h")
	cmd.Env = append(os.Environ(), "ADMIN_TOKEN="+exampleServerAdminToken)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	s := &exampleServer{stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("example server exited before listening: %v; stderr:\n%s", <-done, s.stderr)
			}
			if m := listening.FindStringSubmatch(line); m != nil {
				s.url = m[1]
				go func() {
					for range lines { // keep the pipe drained
					}
				}()
				return s
			}
		case <-deadline:
			t.Fatalf("example server did not listen within 30s; stderr:\n%s", s.stderr)
		}
	}
}
