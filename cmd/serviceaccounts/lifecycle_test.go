package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// TestLifecycleAgainstARunningServer disables, enables and rotates with
// the tool (on the database, or through the admin API) while the example
// server runs on the same file, and checks what the server then accepts.
func TestLifecycleAgainstARunningServer(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		lifecycleAgainstARunningServer(t, newTool(t, sqltest.SQLiteURL(t), ""))
	})
}

func lifecycleAgainstARunningServer(t *testing.T, c *tool) {
	c.ok("migrate")
	account := strings.TrimSpace(c.ok("accounts", "create", "--label", "CI deploy", "-o", "plain"))
	var key keyOut
	c.json(&key, "keys", "create", account, "--name", " GitHub Actions deploy ", "--expires-in", "720h")
	c.secrets = append(c.secrets, key.Key)
	require.Equal(t, "GitHub Actions deploy", key.Name, "trimmed by the Manager")
	require.Nil(t, key.DisabledAt)
	require.Nil(t, key.ReplacedBy)

	srv := startExampleServer(t, c.db)
	status := func(k string) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.url+"/v1/whoami", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+k)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, status(key.Key))

	// accounts disable / enable.
	var acc accountOut
	c.json(&acc, "accounts", "disable", account)
	require.NotNil(t, acc.DisabledAt)
	require.Regexp(t, apiTime, *acc.DisabledAt)
	require.Equal(t, http.StatusUnauthorized, status(key.Key), "a disabled account's keys stop")
	require.Contains(t, c.ok("accounts", "list"), "disabled")
	require.Contains(t, c.ok("accounts", "get", account), "Disabled at:  "+(*acc.DisabledAt)[:19])
	c.json(&acc, "accounts", "enable", account)
	require.Nil(t, acc.DisabledAt)
	require.Equal(t, http.StatusOK, status(key.Key))

	// keys disable / enable.
	var k keyOut
	c.json(&k, "keys", "disable", account, key.ID)
	require.NotNil(t, k.DisabledAt)
	require.Empty(t, k.Key)
	require.Equal(t, http.StatusUnauthorized, status(key.Key))
	require.Regexp(t, `(?m)^`+key.ID+`\s+GitHub Actions deploy\s+.*\sdisabled$`, c.ok("keys", "list", account))
	msg := c.fail(1, "keys", "rotate", account, key.ID)
	require.Contains(t, msg, "refused, nothing was written: the key is disabled")
	require.Contains(t, c.ok("keys", "enable", account, key.ID), "Disabled at:      -")
	require.Equal(t, http.StatusOK, status(key.Key))

	// keys rotate: the new key works at once, the old one through its grace.
	var rotated rotatedKeyOut
	before := time.Now()
	c.json(&rotated, "keys", "rotate", account, key.ID, "--grace", "1h")
	c.secrets = append(c.secrets, rotated.Created.Key)
	require.NotEqual(t, key.Key, rotated.Created.Key)
	require.Equal(t, "GitHub Actions deploy", rotated.Created.Name, "the old key's name by default")
	require.Equal(t, key.ID, rotated.Previous.ID)
	require.Equal(t, rotated.Created.ID, *rotated.Previous.ReplacedBy)
	require.Empty(t, rotated.Previous.Key, "never the old key")
	oldExpiry, err := time.Parse(time.RFC3339, *rotated.Previous.ExpiresAt)
	require.NoError(t, err)
	require.WithinDuration(t, before.Add(time.Hour), oldExpiry, time.Minute)
	newExpiry, err := time.Parse(time.RFC3339, *rotated.Created.ExpiresAt)
	require.NoError(t, err)
	require.WithinDuration(t, before.Add(720*time.Hour), newExpiry, time.Minute, "the lifetime the old key was created with")
	require.Equal(t, http.StatusOK, status(rotated.Created.Key))
	require.Equal(t, http.StatusOK, status(key.Key), "the old key works during its grace period")
	require.Regexp(t, `(?m)^`+key.ID+`\s.*\sreplaced$`, c.ok("keys", "list", account))
	msg = c.fail(1, "keys", "rotate", account, key.ID)
	require.Contains(t, msg, "already replaced")

	// --grace 0s ends the old key at once; -o plain prints the new key alone.
	plain := c.ok("keys", "rotate", account, rotated.Created.ID, "--grace", "0s", "--name", "deploy v2", "-o", "plain")
	require.Regexp(t, `^sa_[0-9A-Za-z]{49}\n$`, plain)
	third := strings.TrimSpace(plain)
	c.secrets = append(c.secrets, third)
	require.Equal(t, http.StatusUnauthorized, status(rotated.Created.Key))
	require.Equal(t, http.StatusOK, status(third))
	var keys keyListOut
	c.json(&keys, "keys", "list", account)
	require.Equal(t, "deploy v2", keys.Items[2].Name)

	r := c.run("keys", "rotate", account, keys.Items[2].ID)
	require.Equal(t, 0, r.code, r.stderr)
	fourth := strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0])
	require.Equal(t, "New API key:", fourth[0]+" "+fourth[1]+" "+fourth[2])
	c.secrets = append(c.secrets, fourth[3])
	require.Contains(t, r.stderr, "shown only once. The old key "+keys.Items[2].ID+" works until ")

	// A key pasted where its id belongs is refused without being echoed
	// (c.fail checks that no key reaches standard error).
	assert.Contains(t, c.fail(1, "keys", "rotate", account, fourth[3]), "KEY_ID (not shown: it is longer than an id, and may be a key) is not an id")
}

// TestKeyPolicyFlags: the policy flags seed the database's default policy
// when none is stored yet; from then on the stored policy rules, as the
// server enforces it, whatever a later run's flags say.
func TestKeyPolicyFlags(t *testing.T) {
	t.Parallel()
	c := newTool(t, sqltest.SQLiteURL(t), "")
	c.ok("migrate")
	account := strings.TrimSpace(c.ok("accounts", "create", "--label", "CI", "-o", "plain"))
	for range 2 {
		c.secrets = append(c.secrets, strings.TrimSpace(c.ok("keys", "create", account, "--max-keys", "2", "-o", "plain")))
	}
	msg := c.fail(1, "keys", "create", account, "--max-keys", "2")
	require.Contains(t, msg, "refused, nothing was written: ")
	require.Contains(t, msg, "2")
	require.Equal(t, 2, strings.Count(c.ok("keys", "list", account, "-o", "plain"), "\n"), "nothing was written")
	// The flags seeded the database-wide default, which now governs every
	// run and every server on the database: they no longer lift it, the
	// stored policy does.
	require.Contains(t, c.fail(1, "keys", "create", account, "--max-keys", "0"), "refused, nothing was written: ")
	c.ok("policy", "set", "--defaults", "--max-keys-per-account", "0", "--max-key-lifetime", "24h",
		"--default-key-lifetime", "0", "--max-rotation-grace", "168h")

	msg = c.fail(1, "keys", "create", account)
	require.Contains(t, msg, "--expires-at:")
	msg = c.fail(1, "keys", "create", account, "--expires-in", "48h")
	require.Contains(t, msg, "--expires-at:")
	c.secrets = append(c.secrets, strings.TrimSpace(c.ok("keys", "create", account, "--expires-in", "23h", "-o", "plain")))

	first := strings.Split(c.ok("keys", "list", account, "-o", "plain"), "\n")[0]
	require.Contains(t, c.fail(1, "keys", "rotate", account, first, "--grace", "1500ms"), "--grace: must be whole seconds")
	require.Contains(t, c.fail(1, "keys", "rotate", account, first, "--grace", "200h"), "--grace: must be between 0 and 604800")
	require.Contains(t, c.fail(2, "keys", "create", account, "--max-keys", "-1"), "invalid --max-keys -1")
	require.Contains(t, c.fail(2, "keys", "create", account, "--max-key-lifetime", "-1h"), "invalid --max-key-lifetime")

	l := newTool(t, sqltest.SQLiteURL(t), "")
	l.ok("migrate")
	other := strings.TrimSpace(l.ok("accounts", "create", "--label", "CI", "-o", "plain"))
	msg = l.fail(1, "keys", "create", other, "--max-key-lifetime", "24h")
	require.Contains(t, msg, "--expires-at:")
	// A refused creation stores nothing, the default policy included: the
	// first key created stores it.
	l.secrets = append(l.secrets, strings.TrimSpace(l.ok("keys", "create", other, "--max-key-lifetime", "24h", "--expires-in", "23h", "-o", "plain")))
	msg = l.fail(1, "keys", "create", other, "--expires-in", "48h")
	require.Contains(t, msg, "--expires-at:", "the stored maximum lifetime, without the flag")
	msg = l.fail(1, "keys", "create", other)
	require.Contains(t, msg, "--expires-at:", "required by the stored maximum lifetime")

	first = strings.Split(l.ok("keys", "list", other, "-o", "plain"), "\n")[0]
	require.Contains(t, l.fail(1, "keys", "rotate", other, first, "--grace", "1500ms"), "--grace: must be whole seconds")
	require.Contains(t, l.fail(1, "keys", "rotate", other, first, "--grace", "200h"), "--grace: must be between 0 and 604800")
}

// TestKeyRestrictionFlags sets, shows, replaces and removes a key's
// restrictions with keys create and keys update.
func TestKeyRestrictionFlags(t *testing.T) {
	t.Parallel()
	c := newTool(t, sqltest.SQLiteURL(t), "")
	c.ok("migrate")
	account := strings.TrimSpace(c.ok("accounts", "create", "--label", "CI deploy", "-o", "plain"))
	var key keyOut
	c.json(&key, "keys", "create", account, "--scope", "study:tekenradar:get-reports", "--scope", "users:*:*",
		"--allow-cidr", "10.0.0.0/8", "--allow-cidr", "192.0.2.7", "--rate-limit", "600/1m", "--metadata", "environment=staging")
	c.secrets = append(c.secrets, key.Key)
	require.Len(t, key.Scopes, 2)
	assert.Equal(t, "get-reports", key.Scopes[0].Action)
	assert.Equal(t, []string{"10.0.0.0/8", "192.0.2.7/32"}, key.AllowedCIDRs)
	require.NotNil(t, key.RateLimit)
	assert.Equal(t, 600, key.RateLimit.Limit)
	assert.EqualValues(t, 60, key.RateLimit.PeriodSeconds)
	assert.Equal(t, map[string]any{"environment": "staging"}, key.Metadata)
	assert.Contains(t, c.ok("keys", "update", account, key.ID, "--name", "scoped"), "Allowed CIDRs:")

	var k keyOut
	c.json(&k, "keys", "update", account, key.ID, "--no-allowed-cidrs", "--metadata", "environment=production")
	assert.Nil(t, k.AllowedCIDRs)
	assert.Equal(t, map[string]any{"environment": "production"}, k.Metadata)
	assert.Len(t, k.Scopes, 2, "kept")

	msg := c.fail(1, "keys", "update", account, key.ID, "--allow-cidr", "10.0.0.1/8")
	assert.Contains(t, msg, "--allow-cidr [0]")
	msg = c.fail(1, "keys", "create", account, "--scope", "study:get-reports")
	assert.Contains(t, msg, "TYPE:KEY:ACTION")
	msg = c.fail(1, "keys", "create", account, "--rate-limit", "600")
	assert.Contains(t, msg, "--rate-limit")

	// An account's metadata: set, shown, replaced, removed.
	var acc accountOut
	c.json(&acc, "accounts", "create", "--label", "tagged", "--metadata", "environment=staging", "--metadata", "team=payments")
	assert.Equal(t, map[string]any{"environment": "staging", "team": "payments"}, acc.Metadata)
	assert.Contains(t, c.ok("accounts", "get", acc.ID), `Metadata:`)
	var replaced, cleared accountOut // fresh: decoding into a map merges
	c.json(&replaced, "accounts", "update", acc.ID, "--metadata", "environment=production")
	assert.Equal(t, map[string]any{"environment": "production"}, replaced.Metadata)
	c.json(&cleared, "accounts", "update", acc.ID, "--no-metadata")
	assert.Nil(t, cleared.Metadata)
	msg = c.fail(1, "accounts", "update", acc.ID, "--metadata", "bad name=x")
	assert.Contains(t, msg, "--metadata")
}
