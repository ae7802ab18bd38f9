package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

func TestCommandLinesThatAreNotUnderstoodExit2WithUsage(t *testing.T) {
	t.Parallel()
	c := newTool(t, sqltest.SQLiteURL(t), "")
	c.ok("migrate")
	const id = "01a213e4-f068-755e-ae87-caee3d2d0993"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "serviceaccounts"`},
		{[]string{"acounts", "list"}, `unknown command "acounts"`},
		{[]string{"accounts", "lsit"}, `unknown command "lsit" for "serviceaccounts accounts" (did you mean "list"?)`},
		{[]string{"accounts"}, "serviceaccounts accounts needs a command"},
		{[]string{}, "serviceaccounts needs a command"},
		{[]string{"accounts", "list", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"accounts", "list", "--limit", "many"}, `invalid argument "many" for "--limit"`},
		{[]string{"accounts", "get"}, "needs ACCOUNT_ID"},
		{[]string{"accounts", "get", id, id}, "takes ACCOUNT_ID, not"},
		{[]string{"keys", "delete", id}, "missing KEY_ID"},
		{[]string{"accounts", "update", id}, "needs --label, --description, --metadata or --no-metadata"},
		{[]string{"permissions", "set-limiter", id, id}, `required flag(s) "limiter" not set`},
		{[]string{"keys", "create", id, "--expires-at", "2099-01-01T00:00:00Z", "--expires-in", "1h"}, "none of the others can be"},
		{[]string{"accounts", "list", "-o", "yaml"}, `invalid --output "yaml": want table, json or plain`},
	} {
		r := c.run(tc.args...)
		assert.Equal(t, 2, r.code, "%v: %s", tc.args, r.stderr)
		assert.Empty(t, r.stdout, "%v", tc.args)
		first, rest, _ := strings.Cut(r.stderr, "\n")
		assert.Contains(t, first, tc.want, "%v", tc.args)
		assert.Contains(t, rest, "Usage:", "%v", tc.args)
	}

	// Without --db or SA_DB there is nothing to work on.
	r := runTool(t, nil, "accounts", "list")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "no database: pass --db URL or set SA_DB")
	r = runTool(t, nil, "--db", "memory:", "accounts", "list")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "keeps nothing between commands")

	// SA_DB stands in for --db.
	r = runTool(t, []string{"SA_DB=" + c.db}, "accounts", "list", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, `{"items":[],"nextCursor":null}`+"\n", r.stdout)
}

func TestUnopenableDatabaseIsOneLineWithThePasswordMasked(t *testing.T) {
	t.Parallel()
	for _, db := range []string{
		"postgres://admin:s3cr3t-pw@127.0.0.1:1/app?sslmode=disable",
		"postgres://admin@127.0.0.1:1/app?sslmode=disable&password=s3cr3t-pw",
		"mysql://admin:s3cr3t-pw@127.0.0.1:1/app",
		"sqlite:" + t.TempDir() + "/no/such/dir/sa.db",
		"oracle://admin:s3cr3t-pw@db/app",
		// Not URLs, or malformed ones: masked all the same.
		"host=127.0.0.1 port=1 user=admin password='s3cr3t-pw and more' dbname=app",
		"password=s3cr3t-pw host=127.0.0.1",
		"admin:s3cr3t-pw@tcp(127.0.0.1:1)/app",
		"mysql://admin:s3cr3t-pw@tcp(127.0.0.1:1)/app",
		"postgres:/admin:s3cr3t-pw@127.0.0.1:1/app",
		"postgres:///admin:s3cr3t-pw@127.0.0.1:1/app",
		"postgres://admin:s3cr3t-pw@127.0.0.1:bad port/app",
		"password=x:s3cr3t-pw host=127.0.0.1",
	} {
		c := newTool(t, db, "")
		msg := c.fail(1, "accounts", "list")
		assert.NotContains(t, msg, "s3cr3t-pw", db)
		assert.Contains(t, msg, "check --db or SA_DB", db)
		if strings.Contains(db, "s3cr3t") && !strings.HasPrefix(db, "oracle") {
			assert.Contains(t, msg, "xxxxx", "the URL is named, masked: %s", db)
		}
		c.fail(1, "migrate")
	}
}

// TestCommandsOnAMistypedSQLitePathCreateNoFile: only migrate creates an
// SQLite file; a read (or any other command) on a path that does not
// exist fails, naming the path, and leaves nothing behind.
func TestCommandsOnAMistypedSQLitePathCreateNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.db")
	c := newTool(t, "sqlite:"+path, "")
	id := "0b5ac4e0-5d5a-4d47-9f0e-0d1f3f0b6c11"
	for _, args := range [][]string{
		{"accounts", "list"},
		{"accounts", "get", id},
		{"keys", "list", id},
		{"permissions", "list", id},
		{"audit", "list"},
		{"accounts", "create", "--label", "x"},
	} {
		msg := c.fail(1, args...)
		assert.Contains(t, msg, "no such SQLite database file: "+path, args)
		assert.Contains(t, msg, "serviceaccounts migrate", args)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Empty(t, entries, "%v created a file", args)
	}
	c.ok("migrate")
	require.FileExists(t, path)
	c.ok("accounts", "list")
}

func TestUnmigratedDatabaseSaysToMigrate(t *testing.T) {
	t.Parallel()
	c := newTool(t, sqltest.SQLiteURL(t), "")
	// An empty file, as another tool or an interrupted migrate leaves it.
	require.NoError(t, os.WriteFile(strings.TrimPrefix(c.db, "sqlite:"), nil, 0o600))
	msg := c.fail(1, "accounts", "create", "--label", "x")
	require.Regexp(t, `needs \d+ migration\(s\) \(20260101000001_create_tables, .*\): run "serviceaccounts migrate" with the same --db first`, msg)
	c.ok("migrate")
	c.ok("accounts", "create", "--label", "x")
}

func TestInvalidInputShowsTheFieldErrorsAndWritesNothing(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		invalidInputShowsTheFieldErrorsAndWritesNothing(t, newTool(t, sqltest.SQLiteURL(t), ""))
	})
}

func invalidInputShowsTheFieldErrorsAndWritesNothing(t *testing.T, c *tool) {
	c.ok("migrate")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"accounts", "create"}, "--label: is required"},
		{[]string{"accounts", "create", "--label", "   "}, "--label: is required"},
		{[]string{"accounts", "create", "--label", strings.Repeat("x", 101), "--description", strings.Repeat("y", 1001)},
			"--label: must be at most 100 characters; --description: must be at most 1000 characters"},
		{[]string{"accounts", "create", "--label", "a\x01b"}, "--label: must be valid UTF-8 on one line"},
	} {
		msg := c.fail(1, tc.args...)
		assert.Contains(t, msg, "invalid input, nothing was written: "+tc.want, "%v", tc.args)
	}
	require.Empty(t, c.ok("accounts", "list", "-o", "plain"), "no account was written")
	for _, limit := range []string{"0", "-1", "201"} {
		assert.Contains(t, c.fail(1, "accounts", "list", "--limit", limit), "--limit: must be from 1 to 200")
	}
	assert.Contains(t, c.fail(1, "accounts", "list", "--cursor", "???"), "--cursor: is not a cursor")

	account := strings.TrimSpace(c.ok("accounts", "create", "--label", "CI", "-o", "plain"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "create", account, "--expires-at", "2001-01-01T00:00:00Z"}, "--expires-at: must be in the future"},
		{[]string{"keys", "create", account, "--expires-at", "tomorrow"}, "--expires-at: must be an RFC 3339 time"},
		{[]string{"keys", "create", account, "--expires-in", "-1h"}, "--expires-in: must be positive"},
		{[]string{"permissions", "grant", account}, "--type: is required; --key: is required; --action: is required"},
		{[]string{"permissions", "grant", account, "--type", "study", "--key", "s1", "--action", "get-responses", "--limiter", `[{"surveyKey":1}]`}, "--limiter [0].surveyKey:"},
		{[]string{"permissions", "grant", account, "--type", "study", "--key", "s1", "--action", "get-responses", "--limiter", `{not json`}, "--limiter"},
		{[]string{"permissions", "grant", account, "--type", "study", "--key", "s1", "--action", "delete-study", "--limiter", `[{"surveyKey":"a"}]`}, "--limiter"},
		{[]string{"permissions", "grant", account, "--type", "planet", "--key", "s1", "--action", "x"}, `--type: unknown resource type "planet"`},
	} {
		msg := c.fail(1, tc.args...)
		assert.Contains(t, msg, "invalid input, nothing was written: "+tc.want, "%v", tc.args)
	}
	require.Empty(t, c.ok("keys", "list", account, "-o", "plain"), "no key was written")
	require.Empty(t, c.ok("permissions", "list", account, "-o", "plain"), "no permission was written")

	perm := strings.TrimSpace(c.ok("permissions", "grant", account, "--type", "study", "--key", "s1", "--action", "get-responses", "--limiter", `[{"surveyKey":"a"}]`, "-o", "plain"))
	msg := c.fail(1, "permissions", "grant", account, "--type", "study", "--key", "s1", "--action", "get-responses", "--limiter", `["a"]`)
	assert.Contains(t, msg, "--limiter [0]")
	msg = c.fail(1, "permissions", "set-limiter", account, perm, "--limiter", "[]")
	assert.Contains(t, msg, "invalid input, nothing was written: --limiter")
	require.Contains(t, c.ok("permissions", "list", account), `[{"surveyKey":"a"}]`, "the limiter is unchanged")
	msg = c.fail(1, "permissions", "grant", account, "--type", "study", "--key", "s1", "--action", "get-responses", "--limiter", `[{"surveyKey":"a"}]`)
	assert.Contains(t, msg, "already holds this permission")
}

func TestIdsOfAnotherAccountAreNotFound(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		idsOfAnotherAccountAreNotFound(t, newTool(t, sqltest.SQLiteURL(t), ""))
	})
}

func idsOfAnotherAccountAreNotFound(t *testing.T, c *tool) {
	c.ok("migrate")
	mine := strings.TrimSpace(c.ok("accounts", "create", "--label", "mine", "-o", "plain"))
	theirs := strings.TrimSpace(c.ok("accounts", "create", "--label", "theirs", "-o", "plain"))
	key := strings.TrimSpace(c.ok("keys", "create", theirs, "-o", "plain"))
	c.secrets = append(c.secrets, key)
	theirKey := strings.TrimSpace(c.ok("keys", "list", theirs, "-o", "plain"))
	theirPerm := strings.TrimSpace(c.ok("permissions", "grant", theirs, "--type", "users", "--key", "*", "--action", "*", "-o", "plain"))

	msg := c.fail(1, "keys", "delete", mine, theirKey, "--yes")
	assert.Equal(t, "serviceaccounts: service account "+mine+" does not exist or has no API key "+theirKey+
		": list its keys with \"serviceaccounts keys list "+mine+"\"\n", msg)
	msg = c.fail(1, "permissions", "revoke", mine, theirPerm, "--yes")
	assert.Contains(t, msg, "has no permission "+theirPerm)
	msg = c.fail(1, "permissions", "set-limiter", mine, theirPerm, "--limiter", "null")
	assert.Contains(t, msg, "has no permission "+theirPerm)

	require.Equal(t, theirKey+"\n", c.ok("keys", "list", theirs, "-o", "plain"), "their key is still there")
	require.Equal(t, theirPerm+"\n", c.ok("permissions", "list", theirs, "-o", "plain"), "their permission is still there")

	const unknown = "01a213e4-f068-755e-ae87-caee3d2d0993"
	assert.Contains(t, c.fail(1, "keys", "create", unknown), "no service account "+unknown)
	assert.Contains(t, c.fail(1, "accounts", "delete", unknown, "--yes"), "no service account "+unknown)
	assert.Contains(t, c.fail(1, "accounts", "update", unknown, "--label", "x"), "no service account "+unknown)
	assert.Contains(t, c.fail(1, "permissions", "grant", unknown, "--type", "users", "--key", "*", "--action", "*"), "no service account "+unknown)
	assert.Contains(t, c.fail(1, "accounts", "get", "not-an-id"), `ACCOUNT_ID "not-an-id" is not an id`)
	assert.Contains(t, c.fail(1, "keys", "delete", mine, "nope", "--yes"), `KEY_ID "nope" is not an id`)
	// A key pasted where an id belongs is refused without being echoed
	// (c.fail checks that no key reaches standard error).
	assert.Contains(t, c.fail(1, "keys", "delete", mine, key, "--yes"), "KEY_ID (not shown: it is longer than an id, and may be a key) is not an id")
	assert.Contains(t, c.fail(1, "accounts", "get", key), "ACCOUNT_ID (not shown")
}

// A key pasted anywhere on the command line, not only where an id
// belongs, is never echoed: cobra's own messages (unknown command, unknown
// flag, bad flag value) and the surplus-argument message quote what they
// refuse.
func TestAKeyPastedAnywhereOnTheCommandLineIsNeverEchoed(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		aKeyPastedAnywhereOnTheCommandLineIsNeverEchoed(t, newTool(t, sqltest.SQLiteURL(t), ""))
	})
}

func aKeyPastedAnywhereOnTheCommandLineIsNeverEchoed(t *testing.T, c *tool) {
	c.ok("migrate")
	account := strings.TrimSpace(c.ok("accounts", "create", "--label", "ci", "-o", "plain"))
	key := strings.TrimSpace(c.ok("keys", "create", account, "-o", "plain"))
	c.secrets = append(c.secrets, key, key[:len(key)-1], key[3:])
	for _, args := range [][]string{
		{key},
		{"keys", key},
		{"accounts", "get", account, key},
		{"keys", "list", account, key},
		{"keys", "list", account, "--" + key},
		{"keys", "list", account, "--" + key + "=x"},
		{"accounts", "list", "--limit", key},
		{"accounts", "list", "--limit=" + key},
		{"keys", "create", account, "--expires-in", key},
		{"accounts", "get", account, key[:len(key)-1]}, // a truncated paste is still most of the key
		{"accounts", "get", account, key[3:]},          // and so is one without its prefix
	} {
		r := c.run(args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "not shown", "%v: says that something was left out", args)
	}
}
