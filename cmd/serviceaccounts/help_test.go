package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// TestEveryCommandHasHelpWithExamples walks the command tree: every command
// of ours has a short description and examples, and --help prints them on
// standard output with exit status 0.
func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	t.Parallel()
	a := &app{getenv: func(string) string { return "" }}
	var walk func(cmd *cobra.Command)
	var paths [][]string
	walk = func(cmd *cobra.Command) {
		assert.NotEmpty(t, cmd.Short, cmd.CommandPath())
		assert.NotEmpty(t, cmd.Example, "%s has no examples", cmd.CommandPath())
		paths = append(paths, strings.Fields(cmd.CommandPath())[1:])
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
	require.Len(t, paths, 1+1+8+9+5+2+1+2+3, "root, migrate, accounts and 7, keys and 8, permissions and 4, audit and 1, catalog, tenants and 1, policy and 2")
	for _, path := range paths {
		r := runTool(t, nil, append(path, "--help")...)
		require.Equal(t, 0, r.code, "%v", path)
		require.Empty(t, r.stderr, "%v", path)
		assert.Contains(t, r.stdout, "Examples:\n", "%v", path)
	}
}

func TestShellCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := runTool(t, nil, "completion", shell)
		require.Equal(t, 0, r.code, shell)
		require.Contains(t, r.stdout, "serviceaccounts", shell)
	}

	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		c := newTool(t, sqltest.SQLiteURL(t), "")
		c.ok("migrate")
		account := strings.TrimSpace(c.ok("accounts", "create", "--label", "CI deploy", "-o", "plain"))
		perm := strings.TrimSpace(c.ok("permissions", "grant", account, "--type", "study", "--key", "s1", "--action", "get-reports", "-o", "plain"))

		// cobra's hidden __complete command is what the scripts call.
		out := c.ok("__complete", "accounts", "get", "")
		require.Contains(t, out, account+"\tCI deploy\n", "account ids, described by their labels")
		out = c.ok("__complete", "permissions", "revoke", account, "")
		require.Contains(t, out, perm+"\tstudy s1 get-reports\n")
		out = c.ok("__complete", "permissions", "grant", account, "--type", "study", "--action", "get-re")
		require.Contains(t, out, "get-reports\n")
		out = c.ok("__complete", "accounts", "list", "-o", "")
		require.Contains(t, out, "json\t")
	})

	// Without a database: no ids and no file names, and no error.
	r := runTool(t, nil, "__complete", "accounts", "get", "")
	require.Equal(t, 0, r.code)
	require.Equal(t, ":4\n", strings.SplitAfter(r.stdout, "\n")[0], "ShellCompDirectiveNoFileComp")
}

// A rotated key without --expires-at or --expires-in gets the old key's
// lifetime, not no expiry: the flag's help must not say "default never".
func TestRotateHelpStatesTheInheritedExpiry(t *testing.T) {
	t.Parallel()
	rotate := runTool(t, nil, "keys", "rotate", "--help")
	require.Equal(t, 0, rotate.code)
	assert.NotContains(t, rotate.stdout, "default never")
	assert.Contains(t, rotate.stdout, "default: the lifetime the old key was created with")
	create := runTool(t, nil, "keys", "create", "--help")
	require.Equal(t, 0, create.code)
	assert.Contains(t, create.stdout, "default never")
}
