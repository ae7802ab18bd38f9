package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// testAdminToken is the admin token of the servers the tests start.
const testAdminToken = "adm_remote_cli_test_token_0123456789"

// startAdminServer serves the admin API (admin.New behind the bearer
// check) on the store at url, under /admin as the example server mounts
// it, and returns the server's root. The store's tables are created by
// the tool's migrate: New does no I/O.
func startAdminServer(t *testing.T, url, prefix string) string {
	t.Helper()
	st, err := sqlstore.New(sqltest.Open(t, url), sqlstore.WithTablePrefix(prefix))
	require.NoError(t, err)
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st})
	require.NoError(t, err)
	api, err := admin.New(mgr, admin.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Actor:  admin.RequestActor("admin-token"),
	})
	require.NoError(t, err)
	auth, err := admin.NewBearerAuth(admin.BearerConfig{Token: testAdminToken}, api)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", auth))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// newRemoteTool is a tool that runs every command but migrate with
// --server, against the admin API on the database db (tables prefix).
func newRemoteTool(t *testing.T, db, prefix string) *tool {
	c := newTool(t, db, prefix)
	c.server = startAdminServer(t, db, prefix)
	return c
}

// mode is one way the tool works: on the database (--db), or through a
// server's admin API on the same store (--server).
type mode struct {
	name    string
	newTool func(t *testing.T, db, prefix string) *tool
}

var modes = []mode{{"db", newTool}, {"server", newRemoteTool}}

// inEveryMode runs test once per mode, as parallel subtests.
func inEveryMode(t *testing.T, test func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			test(t, m.newTool)
		})
	}
}

// TestBothModesPrintTheSameBytes reads one store with --db and with
// --server, in every output format, and requires the same bytes on
// standard output and standard error, and the same exit status: for
// every list and record (written by both modes), for pages and their
// cursors, and for the refusals both modes check the same way.
func TestBothModesPrintTheSameBytes(t *testing.T) {
	t.Parallel()
	db := newTool(t, sqltest.SQLiteURL(t), "")
	srv := newRemoteTool(t, db.db, "")
	db.ok("migrate")

	// One of everything, written half by each mode.
	account := strings.TrimSpace(db.ok("accounts", "create", "--label", "CI deploy", "--description", "Deploys <main>\nnightly", "-o", "plain"))
	other := strings.TrimSpace(srv.ok("accounts", "create", "--label", "Tekenradar export", "-o", "plain"))
	srv.ok("accounts", "disable", other)
	var named, dated keyOut
	db.json(&named, "keys", "create", account, "--name", "GitHub Actions deploy", "--expires-in", "240h")
	srv.json(&dated, "keys", "create", account, "--expires-at", "2099-01-31T00:00:00Z")
	db.secrets = append(db.secrets, named.Key, dated.Key)
	srv.secrets = db.secrets
	db.ok("keys", "disable", account, dated.ID)
	srv.secrets = append(srv.secrets, strings.TrimSpace(srv.ok("keys", "rotate", account, named.ID, "--grace", "1h", "-o", "plain")))
	db.secrets = srv.secrets
	grant := strings.TrimSpace(db.ok("permissions", "grant", account, "--type", "study", "--key", "tekenradar", "--action", "get-responses", "--limiter", `[{"surveyKey":["intake","followup"]}]`, "-o", "plain"))
	srv.ok("permissions", "grant", account, "--type", "users", "--key", "*", "--action", "*")
	srv.ok("permissions", "set-limiter", account, grant, "--limiter", `[{"surveyKey":"intake"}]`)

	const unknown = "01a213e4-f068-755e-ae87-caee3d2d0993"
	for _, args := range [][]string{
		{"accounts", "list"},
		{"accounts", "list", "--limit", "1"},
		{"accounts", "list", "--limit", "1", "--all"},
		{"accounts", "get", account},
		{"accounts", "get", other},
		{"keys", "list", account},
		{"keys", "hygiene"},
		{"keys", "hygiene", "--expires-within-days", "30"},
		{"keys", "hygiene", "--unused-for-days", "1", "--limit", "1"},
		{"keys", "hygiene", "--limit", "1", "--all"},
		{"permissions", "list", account},
		{"audit", "list"},
		{"audit", "list", "--limit", "2"},
		{"audit", "list", "--account", account, "--action", "key.create", "--all"},
		{"catalog"},
		// Refusals.
		{"accounts", "get", unknown},
		{"keys", "list", unknown},
		{"keys", "delete", account, unknown, "--yes"},
		{"permissions", "set-limiter", account, unknown, "--limiter", "null"},
		{"accounts", "create", "--label", "", "--description", strings.Repeat("y", 1001)},
		{"keys", "create", account, "--expires-at", "2001-01-01T00:00:00Z"},
		{"permissions", "grant", account, "--type", "planet", "--key", "x", "--action", "y"},
		{"permissions", "grant", account, "--type", "study", "--key", "s", "--action", "get-responses", "--limiter", `[{"surveyKey":1}]`},
		{"keys", "hygiene", "--unused-for-days", "-1"},
		{"audit", "list", "--account", "nope", "--since", "yesterday"},
		{"accounts", "list", "--cursor", "???"},
	} {
		for _, format := range []string{formatTable, formatJSON, formatPlain} {
			args := append(slices.Clone(args), "-o", format)
			want := db.run(args...)
			got := srv.run(args...)
			require.Equal(t, want, got, "%v: --db printed, --server printed", args)
		}
	}
	require.Equal(t, 0, srv.run("audit", "list").code, "the comparison saw successes, not only failures")
}

// TestBothModesPrintTheSameForEveryChange runs the same changes with
// --db on one store and with --server on another, in every output
// format, and compares the transcripts with ids, times and keys replaced
// by placeholders (which have the same width in both, so the tables'
// alignment is compared too).
func TestBothModesPrintTheSameForEveryChange(t *testing.T) {
	t.Parallel()
	transcripts := make([]string, len(modes))
	for i, m := range modes {
		c := m.newTool(t, sqltest.SQLiteURL(t), "")
		c.ok("migrate")
		transcripts[i] = changes(t, c)
	}
	require.Equal(t, transcripts[0], transcripts[1])
	require.Contains(t, transcripts[0], "API key:", "the transcript holds the changes' output")
}

// changes makes one of every change with c and returns everything it
// printed, normalised.
func changes(t *testing.T, c *tool) string {
	var out strings.Builder
	record := func(args ...string) string {
		r := c.run(args...)
		fmt.Fprintf(&out, "$ %s\n[%d]\n%s---\n%s===\n", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		c.secrets = append(c.secrets, plaintextKey.FindAllString(r.stdout, -1)...)
		return r.stdout
	}
	id := func(args ...string) string {
		return strings.TrimSpace(record(append(args, "-o", "plain")...))
	}
	record("accounts", "create", "--label", "CI deploy", "--description", "Deploys nightly")
	record("accounts", "create", "--label", "CI deploy", "-o", "json")
	account := id("accounts", "create", "--label", "Tekenradar export")
	for _, format := range []string{formatTable, formatJSON, formatPlain} {
		record("accounts", "update", account, "--description", "Nightly export "+format, "-o", format)
		record("accounts", "disable", account, "-o", format)
		record("accounts", "enable", account, "-o", format)
		record("keys", "create", account, "--name", "deploy "+format, "--expires-in", "240h", "-o", format)
	}
	keys := strings.Fields(record("keys", "list", account, "-o", "plain"))
	require.Len(t, keys, 3)
	for i, format := range []string{formatTable, formatJSON, formatPlain} {
		record("keys", "update", account, keys[i], "--name", "renamed "+format, "-o", format)
		record("keys", "disable", account, keys[i], "-o", format)
		record("keys", "enable", account, keys[i], "-o", format)
		record("keys", "rotate", account, keys[i], "--grace", "1h", "-o", format)
		record("permissions", "grant", account, "--type", "study", "--key", "s-"+format, "--action", "get-responses", "--limiter", `[{"surveyKey":"a"}]`, "-o", format)
	}
	grants := strings.Fields(record("permissions", "list", account, "-o", "plain"))
	require.Len(t, grants, 3)
	for i, format := range []string{formatTable, formatJSON, formatPlain} {
		record("permissions", "set-limiter", account, grants[i], "--limiter", "null", "-o", format)
		record("permissions", "revoke", account, grants[i], "--yes", "-o", format)
		record("keys", "delete", account, keys[i], "--yes", "-o", format)
	}
	// Restrictions and metadata travel both ways: a key created or changed
	// narrow through the API must come out narrow, as with --db.
	narrow := id("keys", "create", account, "--name", "narrow", "--scope", "study:tekenradar:get-responses",
		"--allow-cidr", "10.0.0.0/8", "--rate-limit", "10/1m", "--metadata", "environment=staging")
	for _, format := range []string{formatTable, formatJSON} {
		record("keys", "update", account, narrow, "--allow-cidr", "192.0.2.0/24", "--no-rate-limit", "-o", format)
		record("keys", "rotate", account, narrow, "--grace", "0s", "-o", format)
		narrow = strings.Fields(record("keys", "list", account, "-o", "plain"))[0]
	}
	record("accounts", "update", account, "--metadata", "team=data", "-o", "json")
	record("keys", "list", account, "-o", "json")
	record("keys", "list", account)
	record("accounts", "delete", account, "--yes")
	record("accounts", "list")
	return normalise(out.String())
}

var (
	plaintextKey = regexp.MustCompile(`sa_[0-9A-Za-z]{49}`)
	keyHint      = regexp.MustCompile(`sa_[0-9A-Za-z]{4}…[0-9A-Za-z]{4}`)
	anyUUID      = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	anyTime      = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z`)
	anyCursor    = regexp.MustCompile(`--cursor \S+`)
)

// normalise replaces what differs between two stores (ids, in order of
// first appearance; times; keys and their hints; cursors) by
// placeholders.
func normalise(s string) string {
	s = plaintextKey.ReplaceAllString(s, "KEY")
	s = keyHint.ReplaceAllString(s, "HINT")
	s = anyTime.ReplaceAllString(s, "TIME")
	s = anyCursor.ReplaceAllString(s, "--cursor CURSOR")
	seen := map[string]string{}
	return anyUUID.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := seen[id]; !ok {
			seen[id] = fmt.Sprintf("ID%d", len(seen)+1)
		}
		return seen[id]
	})
}

// runWithStdin runs the tool with env and stdin.
func runWithStdin(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binaries.cli, args...)
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
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

func TestServerModeTakesTheTokenFromTheEnvironmentOrStandardInput(t *testing.T) {
	t.Parallel()
	c := newRemoteTool(t, sqltest.SQLiteURL(t), "")
	c.ok("migrate")
	account := strings.TrimSpace(c.ok("accounts", "create", "--label", "CI", "-o", "plain"))
	tokenEnv := envAdminToken + "=" + testAdminToken
	const wrong = "adm_wrong_token_for_this_test_0123456789"

	// From SA_ADMIN_TOKEN (what c.run does), from a pipe when it is
	// unset, and from the pipe with --token-stdin even when it is set.
	r := runWithStdin(t, nil, testAdminToken+"\n", "--server", c.server, "accounts", "list", "-o", "plain")
	require.Equal(t, result{stdout: account + "\n"}, r)
	r = runWithStdin(t, []string{envAdminToken + "=" + wrong}, testAdminToken, "--server", c.server, "--token-stdin", "accounts", "list", "-o", "plain")
	require.Equal(t, result{stdout: account + "\n"}, r)
	r = runWithStdin(t, []string{envServer + "=" + c.server, tokenEnv}, "", "accounts", "list", "-o", "plain")
	require.Equal(t, result{stdout: account + "\n"}, r, "SA_SERVER names the server")

	// No token: a usage error, before any request.
	for _, stdin := range []string{"", "\n", "   \n"} {
		r = runWithStdin(t, nil, stdin, "--server", c.server, "accounts", "list")
		require.Equal(t, 2, r.code, r.stderr)
		require.Empty(t, r.stdout)
		require.True(t, strings.HasPrefix(r.stderr, "serviceaccounts: no admin token for --server: set SA_ADMIN_TOKEN, or pipe the token on standard input (--token-stdin)\n"), r.stderr)
	}
	r = runWithStdin(t, nil, strings.Repeat("x", maxTokenBytes+1), "--server", c.server, "accounts", "list")
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "longer than 4096 bytes")

	// A wrong token: the server's problem, its code, exit 1, and
	// neither token anywhere in the output.
	for _, env := range [][]string{{envAdminToken + "=" + wrong}, {envAdminToken + "=" + wrong + "\n"}} {
		r = runWithStdin(t, env, "", "--server", c.server, "accounts", "list")
		require.Equal(t, 1, r.code, r.stderr)
		require.Empty(t, r.stdout)
		require.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
		require.Contains(t, r.stderr, "the server refused the admin token: ")
		require.Contains(t, r.stderr, "(invalid_token); check SA_ADMIN_TOKEN")
		require.NotContains(t, r.stderr, wrong)
	}
	r = runWithStdin(t, nil, wrong, "--server", c.server, "keys", "delete", account, account, "--yes")
	require.Equal(t, 1, r.code, r.stderr)
	require.NotContains(t, r.stderr+r.stdout, wrong)
	require.NotContains(t, r.stderr+r.stdout, testAdminToken)
}

func TestServerModeRefusesWhatOnlyADatabaseHas(t *testing.T) {
	t.Parallel()
	c := newRemoteTool(t, sqltest.SQLiteURL(t), "")
	tokenEnv := envAdminToken + "=" + testAdminToken
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--server", c.server, "--db", c.db, "accounts", "list"}, "--db and --server both name what to work on: give one"},
		{[]string{envDB + "=" + c.db, envServer + "=" + c.server}, []string{"accounts", "list"}, "SA_DB and SA_SERVER are both set"},
		{nil, []string{"--server", c.server, "migrate"}, "migrate works on a database only"},
		{nil, []string{"--server", c.server, "--table-prefix", "sa_", "accounts", "list"}, "--table-prefix applies to --db only"},
		{nil, []string{"--server", c.server, "--catalog", "catalog.json", "catalog"}, "--catalog applies to --db only"},
		{nil, []string{"--server", c.server, "keys", "create", "x", "--max-keys", "3"}, "--max-keys applies to --db only"},
		{nil, []string{"--server", c.server, "keys", "create", "x", "--max-key-lifetime", "1h"}, "--max-key-lifetime applies to --db only"},
		{nil, []string{"--db", c.db, "--token-stdin", "accounts", "list"}, "--token-stdin reads the admin token for --server"},
		{nil, []string{"--server", "https://admin:s3cret-pw@sa.example.com", "accounts", "list"}, "invalid --server: it must not hold a user or password"},
		{nil, []string{"--server", "sa.example.com", "accounts", "list"}, "invalid --server: the base URL must be absolute"},
	} {
		r := runWithStdin(t, append([]string{tokenEnv}, tc.env...), "", tc.args...)
		require.Equal(t, 2, r.code, "%v: %s", tc.args, r.stderr)
		require.Empty(t, r.stdout, "%v", tc.args)
		require.Contains(t, r.stderr, tc.want, "%v", tc.args)
		require.NotContains(t, r.stderr, "s3cret-pw")
	}
	// A URL that is not the server's root: no record is said not to exist.
	for _, args := range [][]string{{"accounts", "list"}, {"audit", "list"}, {"keys", "hygiene"}, {"catalog"}} {
		r := runWithStdin(t, []string{tokenEnv}, "", append([]string{"--server", c.server + "/admin"}, args...)...)
		require.Equal(t, 1, r.code, r.stderr)
		require.Contains(t, r.stderr, "there is no admin API at "+c.server+"/admin/admin", "%v", args)
		require.Contains(t, r.stderr, "--server is the server's root", "%v", args)
	}

	// A server that does not answer: one line, exit 1, as a database.
	r := runWithStdin(t, []string{tokenEnv}, "", "--server", "http://127.0.0.1:1", "accounts", "list")
	require.Equal(t, 1, r.code, r.stderr)
	require.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
	require.Contains(t, r.stderr, "check --server, and that the server is running")
}

// On a terminal, the token is never read from standard input: a person
// would type it in clear, and the prompt of a delete reads there.
func TestServerModeOnATerminalTakesTheTokenFromTheEnvironmentOnly(t *testing.T) {
	t.Parallel()
	onTerminal := terminal{in: strings.NewReader(testAdminToken + "\n"), interactive: func() bool { return true }}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--server", "http://127.0.0.1:1", "accounts", "list"}, "no admin token for --server"},
		{[]string{"--server", "http://127.0.0.1:1", "--token-stdin", "accounts", "list"}, "--token-stdin reads the admin token from a pipe, not a terminal"},
	} {
		var stdout, stderr strings.Builder
		code := run(context.Background(), tc.args, func(string) string { return "" }, onTerminal, &stdout, &stderr)
		require.Equal(t, 2, code, stderr.String())
		require.Empty(t, stdout.String())
		require.True(t, strings.HasPrefix(stderr.String(), "serviceaccounts: "+tc.want), stderr.String())
	}
}
