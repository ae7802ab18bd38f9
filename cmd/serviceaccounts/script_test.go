package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// readmeRecipe is the README's bootstrap recipe, between its markers.
func readmeRecipe(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)<!-- cli-recipe:start -->\n```sh\n(.*?)```\n<!-- cli-recipe:end -->").FindSubmatch(readme)
	require.NotNil(t, m, "the README's CLI recipe between its markers")
	return string(m[1])
}

// runRecipe runs script with bash in dir, the tool on PATH as it would be
// after go install, and returns what it printed last: the account id and
// the key, one a line.
func runRecipe(t *testing.T, dir, script string, env ...string) (account, key string) {
	t.Helper()
	script = "set -euo pipefail\n" + script + "\nprintf '%s\\n%s\\n' \"$ACCOUNT\" \"$KEY\"\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), append(env, "PATH="+binaries.dir+string(os.PathListSeparator)+os.Getenv("PATH"))...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "recipe failed; stderr:\n%s", stderr.String())
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	// Only the two values: migrate's and grant's table output went to the
	// terminal in the README; here they come first.
	require.GreaterOrEqual(t, len(lines), 2, string(out))
	account, key = lines[len(lines)-2], lines[len(lines)-1]
	require.Regexp(t, `^sa_[0-9A-Za-z]{49}$`, key)
	require.NotContains(t, stderr.String(), key, "the key never on standard error")
	return account, key
}

// TestREADMERecipeOnANewSQLiteFile runs the README's recipe as written, in
// an empty directory, then authenticates with the key it printed against
// the example server on the same file: the permission it granted works,
// and nothing more.
func TestREADMERecipeOnANewSQLiteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	recipe := readmeRecipe(t)
	require.Contains(t, recipe, "export SA_DB=sqlite:serviceaccounts.db")
	account, key := runRecipe(t, dir, recipe)
	db := "sqlite:" + filepath.Join(dir, "serviceaccounts.db")
	keyWorksThenStops(t, newTool(t, db, ""), account, key)
}

// The same flow on the shared PostgreSQL and MariaDB test databases, in the
// example server's default tables (it has no prefix flag); the account is
// deleted at the end, so runs do not disturb each other.
func TestScriptFlowOnPostgres(t *testing.T) {
	t.Parallel()
	scriptFlow(t, sqltest.PostgresURL(t))
}

func TestScriptFlowOnMySQL(t *testing.T) {
	t.Parallel()
	scriptFlow(t, sqltest.MySQLURL(t))
}

func scriptFlow(t *testing.T, db string) {
	var lines []string
	for _, l := range strings.Split(readmeRecipe(t), "\n") {
		if !strings.HasPrefix(l, "export SA_DB=") {
			lines = append(lines, l)
		}
	}
	account, key := runRecipe(t, t.TempDir(), strings.Join(lines, "\n"), envDB+"="+db)
	c := newTool(t, db, "")
	t.Cleanup(func() { c.run("accounts", "delete", account, "--yes") })
	keyWorksThenStops(t, c, account, key)
}

// keyWorksThenStops checks key against the example server on c's
// database, then deletes it with the tool and checks that the running
// server refuses it (its cache TTL is 1ns).
func keyWorksThenStops(t *testing.T, c *tool, account, key string) {
	t.Helper()
	c.secrets = append(c.secrets, key)
	srv := startExampleServer(t, c.db)
	get := func(path string) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.url+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get("/v1/studies/tekenradar/responses?surveyKey=intake"))
	require.Equal(t, http.StatusForbidden, get("/v1/studies/tekenradar/responses?surveyKey=other"), "the limiter holds")
	require.Equal(t, http.StatusForbidden, get("/v1/studies/tekenradar/reports"), "only the granted action")

	keyID := strings.TrimSpace(c.ok("keys", "list", account, "-o", "plain"))
	c.ok("keys", "delete", account, keyID, "--yes")
	require.Equal(t, http.StatusUnauthorized, get("/v1/studies/tekenradar/responses?surveyKey=intake"), "a deleted key stops working")
}

// TestREADMERemoteRecipeAgainstTheExampleServer runs the README's recipe
// for --server as written, with the URL and the token's file replaced by
// the example server's on a new SQLite file, then authenticates with the
// key it printed.
func TestREADMERemoteRecipeAgainstTheExampleServer(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)<!-- cli-remote-recipe:start -->\n```sh\n(.*?)```\n<!-- cli-remote-recipe:end -->").FindSubmatch(readme)
	require.NotNil(t, m, "the README's remote CLI recipe between its markers")
	recipe := string(m[1])

	db := sqltest.SQLiteURL(t)
	srv := startExampleServer(t, db)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "sa-admin-token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(exampleServerAdminToken+"\n"), 0o600))
	for from, to := range map[string]string{"https://sa.example.com": srv.url, "/run/secrets/sa-admin-token": tokenFile} {
		require.Contains(t, recipe, from)
		recipe = strings.ReplaceAll(recipe, from, to)
	}
	require.NotContains(t, recipe, "--db", "the recipe needs no database")
	account, key := runRecipe(t, dir, recipe)
	keyWorksThenStops(t, newTool(t, db, ""), account, key)
}
