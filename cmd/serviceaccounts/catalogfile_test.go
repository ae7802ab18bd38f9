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

// reportsCatalog is an application's own catalog: a resource type the
// library's default does not know.
const reportsCatalog = `{
  "resourceTypes": [
    {
      "id": "report",
      "displayName": "Reports",
      "resourceKeys": ["monthly", "yearly"],
      "openKeys": false,
      "actions": [
        {"id": "download", "limiterKeys": ["region"]},
        {"id": "publish", "limiterKeys": []}
      ]
    }
  ]
}`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestCatalogFileGrantsAnApplicationsOwnTypes(t *testing.T) {
	t.Parallel()
	c := newTool(t, sqltest.SQLiteURL(t), "")
	c.ok("migrate")
	catalog := writeFile(t, "catalog.json", reportsCatalog)
	account := strings.TrimSpace(c.ok("accounts", "create", "--label", "Reporting", "-o", "plain"))
	grant := []string{"permissions", "grant", account, "--type", "report", "--key", "monthly", "--action", "download", "--limiter", `[{"region":"eu"}]`}

	msg := c.fail(1, grant...)
	assert.Contains(t, msg, `--type: unknown resource type "report"; allowed: "study", "messaging", "users"`, "the default catalog does not know it")
	require.Empty(t, c.ok("permissions", "list", account, "-o", "plain"))

	var perm permissionOut
	c.json(&perm, append([]string{"--catalog", catalog}, grant...)...)
	assert.Equal(t, "report", perm.ResourceType)
	assert.Equal(t, "monthly", perm.ResourceKey)
	assert.JSONEq(t, `[{"region":"eu"}]`, string(perm.Limiter))

	// The file's catalog validates as the library's would: its keys,
	// actions and limiter keys, and no longer the default's types.
	msg = c.fail(1, "--catalog", catalog, "permissions", "grant", account, "--type", "report", "--key", "weekly", "--action", "publish")
	assert.Contains(t, msg, `--key: `)
	assert.Contains(t, msg, "weekly")
	msg = c.fail(1, "--catalog", catalog, "permissions", "grant", account, "--type", "report", "--key", "yearly", "--action", "publish", "--limiter", `[{"region":"eu"}]`)
	assert.Contains(t, msg, "--limiter")
	msg = c.fail(1, "--catalog", catalog, "permissions", "grant", account, "--type", "study", "--key", "tekenradar", "--action", "get-responses")
	assert.Contains(t, msg, `unknown resource type "study"; allowed: "report"`)

	// SA_CATALOG names it too.
	r := runTool(t, []string{envDB + "=" + c.db, envCatalog + "=" + catalog}, "permissions", "grant", account, "--type", "report", "--key", "yearly", "--action", "publish", "-o", "plain")
	require.Equal(t, 0, r.code, r.stderr)
	require.Len(t, strings.Fields(c.ok("permissions", "list", account, "-o", "plain")), 2)
}

func TestCatalogCommandPrintsTheFilesCatalogInTheFormItReads(t *testing.T) {
	t.Parallel()
	c := newTool(t, "sqlite:"+filepath.Join(t.TempDir(), "unused.db"), "")
	catalog := writeFile(t, "catalog.json", reportsCatalog)
	assert.Equal(t, "report\n", c.ok("--catalog", catalog, "catalog", "-o", "plain"))
	assert.Regexp(t, `(?m)^report\s+Reports\s+monthly, yearly\s+download\s+region$`, c.ok("--catalog", catalog, "catalog"))

	// What "catalog -o json" prints is a catalog file: the default one
	// read back prints the same.
	def := c.ok("catalog", "-o", "json")
	assert.Equal(t, def, c.ok("--catalog", writeFile(t, "default.json", def), "catalog", "-o", "json"))
}

func TestCatalogFileThatCannotBeUsedIsNamedWithItsProblem(t *testing.T) {
	t.Parallel()
	// A database that does not exist: the catalog is refused before it
	// is opened.
	c := newTool(t, "sqlite:"+filepath.Join(t.TempDir(), "absent.db"), "")
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path, want string
	}{
		{"Missing", filepath.Join(dir, "missing.json"), "cannot read the file: no such file or directory"},
		{"ADirectory", dir, "cannot read the file: is a directory"},
		{"NotJSON", writeFile(t, "c.json", "resourceTypes: []"), "not a permission catalog (line 1: invalid character"},
		{"Truncated", writeFile(t, "c.json", `{"resourceTypes":[{"id":"r"`), "not a permission catalog (unexpected EOF)"},
		{"WrongType", writeFile(t, "c.json", "{\n\"resourceTypes\":\n  {}}"), "not a permission catalog (line 3: resourceTypes: unexpected JSON object)"},
		{"UnknownField", writeFile(t, "c.json", `{"types":[]}`), `not a permission catalog (json: unknown field "types")`},
		{"TwoDocuments", writeFile(t, "c.json", reportsCatalog+reportsCatalog), "more than one JSON document"},
		{"Empty", writeFile(t, "c.json", `{"resourceTypes":[]}`), "permission catalog: no resource types"},
		{"TypeWithoutActions", writeFile(t, "c.json", `{"resourceTypes":[{"id":"r","resourceKeys":["a"],"actions":[]}]}`), `resource type "r" has no actions`},
		{"DuplicateAction", writeFile(t, "c.json", `{"resourceTypes":[{"id":"r","openKeys":true,"actions":[{"id":"a"},{"id":"a"}]}]}`), `resource type "r" has duplicate action "a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, args := range [][]string{
				{"--catalog", tc.path, "catalog"},
				{"--catalog", tc.path, "permissions", "grant", "01a213e4-f068-755e-ae87-caee3d2d0993", "--type", "r", "--key", "a", "--action", "a"},
			} {
				msg := c.fail(1, args...)
				assert.True(t, strings.HasPrefix(msg, "serviceaccounts: --catalog "+tc.path+": "), msg)
				assert.Contains(t, msg, tc.want)
			}
		})
	}
	_, err := os.Stat(filepath.Join(filepath.Dir(strings.TrimPrefix(c.db, "sqlite:")), "absent.db"))
	assert.True(t, os.IsNotExist(err), "the database was not opened")
}
