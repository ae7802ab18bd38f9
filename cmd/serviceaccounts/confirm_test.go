package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// deletable is an account with a named key and a permission, on a new
// SQLite database.
type deletable struct {
	c                         *tool
	account, key, hint, grant string
}

func newDeletable(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) deletable {
	c := newTool(t, sqltest.SQLiteURL(t), "")
	c.ok("migrate")
	d := deletable{c: c}
	d.account = strings.TrimSpace(c.ok("accounts", "create", "--label", "CI deploy", "-o", "plain"))
	var key keyOut
	c.json(&key, "keys", "create", d.account, "--name", "GitHub Actions deploy")
	c.secrets = append(c.secrets, key.Key)
	d.key, d.hint = key.ID, key.Hint
	d.grant = strings.TrimSpace(c.ok("permissions", "grant", d.account, "--type", "study", "--key", "tekenradar", "--action", "get-responses", "-o", "plain"))
	return d
}

func (d deletable) exists(t *testing.T) (account, key, grant bool) {
	t.Helper()
	if d.c.run("accounts", "get", d.account).code != 0 {
		return false, false, false
	}
	return true,
		strings.Contains(d.c.ok("keys", "list", d.account, "-o", "plain"), d.key),
		strings.Contains(d.c.ok("permissions", "list", d.account, "-o", "plain"), d.grant)
}

// The tests run the tool with standard input not a terminal (/dev/null):
// a script that forgot --yes deletes nothing and is told to pass it.
func TestDeletesWithoutYesOffATerminalAreRefusedWithExitTwo(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		d := newDeletable(t, newTool)
		for _, cmd := range [][]string{
			{"keys", "delete", d.account, d.key},
			{"permissions", "revoke", d.account, d.grant},
			{"accounts", "delete", d.account},
			{"accounts", "delete", d.account, "-o", "json"},
		} {
			r := d.c.run(cmd...)
			require.Equal(t, 2, r.code, "%v: stdout %s stderr %s", cmd, r.stdout, r.stderr)
			assert.Empty(t, r.stdout, "%v", cmd)
			assert.Contains(t, r.stderr, "needs --yes to delete when standard input is not a terminal", "%v", cmd)
			assert.Contains(t, r.stderr, "nothing was deleted", "%v", cmd)
		}
		account, key, grant := d.exists(t)
		require.True(t, account && key && grant, "everything is still there")

		require.Contains(t, d.c.ok("keys", "delete", d.account, d.key, "--yes"), "Deleted API key "+d.key)
		require.Contains(t, d.c.ok("permissions", "revoke", d.account, d.grant, "-y"), "Revoked permission "+d.grant)
		account, key, grant = d.exists(t)
		require.True(t, account)
		require.False(t, key, "deleted with --yes")
		require.False(t, grant, "revoked with -y")
		require.Contains(t, d.c.ok("accounts", "delete", d.account, "--yes"), "Deleted service account "+d.account)
		account, _, _ = d.exists(t)
		require.False(t, account, "deleted with --yes")
	})
}

// env is the environment that names d's database, or its server and
// the admin token.
func (d deletable) env() map[string]string {
	if d.c.server != "" {
		return map[string]string{envServer: d.c.server, envAdminToken: testAdminToken}
	}
	return map[string]string{envDB: d.c.db}
}

// runOnTerminal runs the tool in this process as if a person typed
// answer on a terminal.
func runOnTerminal(t *testing.T, d deletable, answer string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := d.env()
	term := terminal{in: strings.NewReader(answer), interactive: func() bool { return true }}
	code = run(context.Background(), args, func(k string) string { return env[k] }, term, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDeletesOnATerminalAskNamingWhatGoes(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		d := newDeletable(t, newTool)
		keyPrompt := `Delete API key "GitHub Actions deploy" (hint ` + d.hint + `, id ` + d.key + `) of service account "CI deploy" (` + d.account + `)? This cannot be undone. [y/N] `
		permPrompt := `Revoke permission get-responses on study "tekenradar" (id ` + d.grant + `) of service account "CI deploy" (` + d.account + `)? This cannot be undone. [y/N] `
		accountPrompt := `Delete service account "CI deploy" (` + d.account + `) with its 1 API key and 1 permission? This cannot be undone. [y/N] `

		// Anything but y or yes keeps the record: n, an empty line (the
		// default), another word, the end of input.
		for _, answer := range []string{"n\n", "\n", "no\n", "yes please\n", ""} {
			code, stdout, stderr := runOnTerminal(t, d, answer, "keys", "delete", d.account, d.key)
			require.Equal(t, 1, code, "answer %q: %s", answer, stderr)
			assert.Empty(t, stdout)
			require.True(t, strings.HasPrefix(stderr, keyPrompt), "answer %q: %s", answer, stderr)
			assert.Contains(t, stderr, "serviceaccounts: not confirmed, nothing was deleted")
		}
		code, _, stderr := runOnTerminal(t, d, "n\n", "permissions", "revoke", d.account, d.grant)
		require.Equal(t, 1, code, stderr)
		require.True(t, strings.HasPrefix(stderr, permPrompt), stderr)
		code, _, stderr = runOnTerminal(t, d, "N\n", "accounts", "delete", d.account)
		require.Equal(t, 1, code, stderr)
		require.True(t, strings.HasPrefix(stderr, accountPrompt), stderr)
		account, key, grant := d.exists(t)
		require.True(t, account && key && grant, "nothing deleted without yes")

		code, stdout, stderr := runOnTerminal(t, d, "y\n", "keys", "delete", d.account, d.key)
		require.Equal(t, 0, code, stderr)
		assert.Equal(t, keyPrompt, stderr)
		assert.Contains(t, stdout, "Deleted API key "+d.key)
		code, _, stderr = runOnTerminal(t, d, " YES\n", "permissions", "revoke", d.account, d.grant)
		require.Equal(t, 0, code, stderr)
		account, key, grant = d.exists(t)
		require.True(t, account)
		require.False(t, key, "deleted after y")
		require.False(t, grant, "revoked after YES")

		code, _, stderr = runOnTerminal(t, d, "yes\n", "accounts", "delete", d.account)
		require.Equal(t, 0, code, stderr)
		require.True(t, strings.HasPrefix(stderr, `Delete service account "CI deploy" (`+d.account+`) with its 0 API keys and 0 permissions?`), stderr)
		account, _, _ = d.exists(t)
		require.False(t, account, "deleted after yes")
	})
}

func TestDeleteOnATerminalReportsAnUnknownRecordWithoutAsking(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		d := newDeletable(t, newTool)
		const unknown = "01a213e4-f068-755e-ae87-caee3d2d0993"
		code, _, stderr := runOnTerminal(t, d, "y\n", "keys", "delete", d.account, unknown)
		require.Equal(t, 1, code, stderr)
		assert.NotContains(t, stderr, "?", "no question about a key that does not exist")
		assert.Contains(t, stderr, "has no API key "+unknown)
	})
}

func TestDeleteWithYesOnATerminalDoesNotAsk(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		d := newDeletable(t, newTool)
		code, stdout, stderr := runOnTerminal(t, d, "", "accounts", "delete", d.account, "--yes")
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, stderr)
		assert.Contains(t, stdout, "Deleted service account "+d.account)
	})
}

// cancelOnPrompt is a standard error that interrupts the tool once the
// prompt is written, as Ctrl-C would while the person thinks.
type cancelOnPrompt struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnPrompt) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.String(), "[y/N] ") {
		w.cancel()
	}
	return n, err
}

func TestInterruptingThePromptDeletesNothing(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		d := newDeletable(t, newTool)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		never, w := io.Pipe() // a person who never answers
		defer w.Close()
		stderr := &cancelOnPrompt{cancel: cancel}
		var stdout bytes.Buffer
		env := d.env()
		code := run(ctx, []string{"accounts", "delete", d.account}, func(k string) string { return env[k] },
			terminal{in: never, interactive: func() bool { return true }}, &stdout, stderr)
		require.Equal(t, 1, code, stderr.String())
		assert.Contains(t, stderr.String(), "serviceaccounts: interrupted, nothing was deleted")
		account, key, grant := d.exists(t)
		require.True(t, account && key && grant, "nothing deleted")
	})
}
