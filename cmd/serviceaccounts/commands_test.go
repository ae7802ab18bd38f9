package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// The management API's representations, as a script decodes them; the
// decoder refuses unknown fields, so these list every field printed.
type (
	accountOut struct {
		ID          string         `json:"id"`
		Tenant      string         `json:"tenant"`
		Label       string         `json:"label"`
		Description string         `json:"description"`
		CreatedAt   string         `json:"createdAt"`
		UpdatedAt   string         `json:"updatedAt"`
		DisabledAt  *string        `json:"disabledAt"`
		Metadata    map[string]any `json:"metadata"`
	}
	accountPageOut struct {
		Items      []accountOut `json:"items"`
		NextCursor *string      `json:"nextCursor"`
	}
	keyOut struct {
		ID               string  `json:"id"`
		Tenant           string  `json:"tenant"`
		ServiceAccountID string  `json:"serviceAccountId"`
		Name             string  `json:"name"`
		Hint             string  `json:"hint"`
		CreatedAt        string  `json:"createdAt"`
		LastUsedAt       *string `json:"lastUsedAt"`
		ExpiresAt        *string `json:"expiresAt"`
		DisabledAt       *string `json:"disabledAt"`
		ReplacedBy       *string `json:"replacedBy"`
		Scopes           []struct {
			ResourceType string `json:"resourceType"`
			ResourceKey  string `json:"resourceKey"`
			Action       string `json:"action"`
		} `json:"scopes"`
		AllowedCIDRs []string `json:"allowedCidrs"`
		RateLimit    *struct {
			Limit         int   `json:"limit"`
			PeriodSeconds int64 `json:"periodSeconds"`
		} `json:"rateLimit"`
		Metadata map[string]any `json:"metadata"`
		Key      string         `json:"key"` // only when created
	}
	// The CLI prints a whole list as the API's one page of it.
	keyListOut struct {
		Items      []keyOut `json:"items"`
		NextCursor *string  `json:"nextCursor"`
	}
	rotatedKeyOut struct {
		Created  keyOut `json:"created"`
		Previous keyOut `json:"previous"`
	}
	permissionOut struct {
		ID               string          `json:"id"`
		ServiceAccountID string          `json:"serviceAccountId"`
		ResourceType     string          `json:"resourceType"`
		ResourceKey      string          `json:"resourceKey"`
		Action           string          `json:"action"`
		Limiter          json.RawMessage `json:"limiter"`
		CreatedAt        string          `json:"createdAt"`
	}
	permissionListOut struct {
		Items      []permissionOut `json:"items"`
		NextCursor *string         `json:"nextCursor"`
	}
	catalogOut struct {
		ResourceTypes []struct {
			ID          string   `json:"id"`
			DisplayName string   `json:"displayName"`
			Keys        []string `json:"resourceKeys"`
			OpenKeys    bool     `json:"openKeys"`
			Actions     []struct {
				ID          string   `json:"id"`
				LimiterKeys []string `json:"limiterKeys"`
			} `json:"actions"`
		} `json:"resourceTypes"`
	}
	migrateOut struct {
		Database string   `json:"database"`
		Applied  []string `json:"applied"`
	}
)

// apiTime is the API's time format: RFC 3339 UTC, six fractional digits.
var apiTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

// The command tests run in both modes: on the database, and through the
// admin API of a server on the same kind of store.

func TestEveryCommandOnSQLite(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		everyCommand(t, newTool(t, sqltest.SQLiteURL(t), ""))
	})
}

func TestEveryCommandOnPostgres(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		everyCommand(t, newPrefixedTool(t, newTool, sqltest.PostgresURL(t)))
	})
}

func TestEveryCommandOnMySQL(t *testing.T) {
	t.Parallel()
	inEveryMode(t, func(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool) {
		everyCommand(t, newPrefixedTool(t, newTool, sqltest.MySQLURL(t)))
	})
}

// newPrefixedTool works on tables of its own in a shared database, dropped
// when t ends.
func newPrefixedTool(t *testing.T, newTool func(t *testing.T, db, prefix string) *tool, url string) *tool {
	prefix := sqltest.UniquePrefix()
	t.Cleanup(func() {
		require.NoError(t, sqlstore.DropTables(context.Background(), sqltest.Open(t, url), sqlstore.WithTablePrefix(prefix)))
	})
	return newTool(t, url, prefix)
}

func everyCommand(t *testing.T, c *tool) {
	// migrate: applies everything once, then nothing.
	var migrated migrateOut
	c.json(&migrated, "migrate")
	require.NotEmpty(t, migrated.Applied)
	require.Equal(t, sqlstore.RedactURL(c.db), migrated.Database)
	c.json(&migrated, "migrate")
	require.Empty(t, migrated.Applied)
	require.NotNil(t, migrated.Applied, "applied is [] when up to date, not null")
	require.Contains(t, c.ok("migrate"), "up to date")

	// accounts create, get, update, list.
	var acc accountOut
	c.json(&acc, "accounts", "create", "--label", "  CI deploy ", "--description", "Deploys <main>\nnightly")
	require.Equal(t, "CI deploy", acc.Label, "trimmed by the Manager")
	require.Equal(t, "Deploys <main>\nnightly", acc.Description)
	require.Regexp(t, apiTime, acc.CreatedAt)
	require.Equal(t, acc.CreatedAt, acc.UpdatedAt)
	accountID := uuid.MustParse(acc.ID)

	var got accountOut
	c.json(&got, "accounts", "get", acc.ID)
	require.Equal(t, acc, got)
	table := c.ok("accounts", "get", acc.ID)
	require.Contains(t, table, "Label:        CI deploy")
	require.Contains(t, table, "Description:  Deploys <main> nightly", "one line in a table")
	require.Equal(t, acc.ID+"\n", c.ok("accounts", "get", acc.ID, "-o", "plain"))

	var updated accountOut
	c.json(&updated, "accounts", "update", acc.ID, "--label", "CI deploy (production)")
	require.Equal(t, "CI deploy (production)", updated.Label)
	require.Equal(t, acc.Description, updated.Description, "a flag left out keeps its value")
	c.json(&updated, "accounts", "update", acc.ID, "--description", "")
	require.Equal(t, "CI deploy (production)", updated.Label)
	require.Empty(t, updated.Description)

	second := strings.TrimSpace(c.ok("accounts", "create", "--label", "Tekenradar export", "-o", "plain"))
	require.NoError(t, uuid.Validate(second))

	var page accountPageOut
	c.json(&page, "accounts", "list")
	require.Len(t, page.Items, 2)
	require.Nil(t, page.NextCursor)
	require.Equal(t, []string{acc.ID, second}, []string{page.Items[0].ID, page.Items[1].ID}, "creation order")
	c.json(&page, "accounts", "list", "--limit", "1")
	require.Len(t, page.Items, 1)
	require.NotNil(t, page.NextCursor)
	cursor := *page.NextCursor
	c.json(&page, "accounts", "list", "--limit", "1", "--cursor", cursor)
	require.Equal(t, second, page.Items[0].ID)
	require.Nil(t, page.NextCursor)
	require.Equal(t, acc.ID+"\n"+second+"\n", c.ok("accounts", "list", "--limit", "1", "--all", "-o", "plain"))
	r := c.run("accounts", "list", "--limit", "1")
	require.Equal(t, 0, r.code)
	require.Regexp(t, `^ID\s+LABEL\s+DESCRIPTION\s+CREATED\s+STATUS\n`+acc.ID+`\s+CI deploy \(production\)\s+-\s+\S+\s+active\n$`, r.stdout)
	require.Contains(t, r.stderr, "--cursor "+cursor, "tables say how to get the next page")

	// keys create (json, plain, table), list.
	var created keyOut
	c.json(&created, "keys", "create", acc.ID, "--expires-at", "2099-01-31T00:00:00Z")
	c.secrets = append(c.secrets, created.Key)
	require.NoError(t, apikey.Parse(created.Key, apikey.DefaultPrefix), "a well-formed key")
	require.Equal(t, apikey.Hint(created.Key), created.Hint)
	require.Equal(t, acc.ID, created.ServiceAccountID)
	require.Equal(t, "2099-01-31T00:00:00.000000Z", *created.ExpiresAt)
	require.Nil(t, created.LastUsedAt)

	plain := c.ok("keys", "create", acc.ID, "--expires-in", "2160h", "-o", "plain")
	require.Regexp(t, `^sa_[0-9A-Za-z]{49}\n$`, plain, "the key alone on standard output")
	plainKey := strings.TrimSpace(plain)
	c.secrets = append(c.secrets, plainKey)

	r = c.run("keys", "create", acc.ID)
	require.Equal(t, 0, r.code, r.stderr)
	tableKey := regexp.MustCompile(`API key:\s+(sa_\S+)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, tableKey, r.stdout)
	c.secrets = append(c.secrets, tableKey[1])
	require.Contains(t, r.stderr, "shown only once")

	var keys keyListOut
	c.json(&keys, "keys", "list", acc.ID)
	require.Len(t, keys.Items, 3)
	require.Equal(t, created.ID, keys.Items[0].ID)
	for _, k := range keys.Items {
		require.Empty(t, k.Key, "lists never carry a key")
	}
	expires, err := time.Parse(time.RFC3339, *keys.Items[1].ExpiresAt)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(2160*time.Hour), expires, 10*time.Minute)
	listing := c.ok("keys", "list", acc.ID)
	require.Regexp(t, `(?m)^ID\s+NAME\s+HINT\s+CREATED\s+LAST USED\s+EXPIRES\s+STATUS$`, listing)
	require.Contains(t, listing, created.Hint)
	for _, s := range c.secrets {
		require.NotContains(t, listing, s)
	}
	require.Equal(t, 3, strings.Count(c.ok("keys", "list", acc.ID, "-o", "plain"), "\n"))

	// keys update renames; keys hygiene lists the keys of all accounts
	// by their expiry and last use.
	var renamed keyOut
	c.json(&renamed, "keys", "update", acc.ID, keys.Items[1].ID, "--name", "  nightly export ")
	require.Equal(t, "nightly export", renamed.Name, "trimmed by the Manager")
	require.Equal(t, keys.Items[1].Hint, renamed.Hint, "the same key")
	c.json(&renamed, "keys", "update", acc.ID, keys.Items[1].ID, "--name", "")
	require.Empty(t, renamed.Name)
	var hygiene keyListOut
	c.json(&hygiene, "keys", "hygiene", "--expires-within-days", "100")
	require.Len(t, hygiene.Items, 1, "only the key that expires in 90 days")
	require.Equal(t, keys.Items[1].ID, hygiene.Items[0].ID)
	c.json(&hygiene, "keys", "hygiene", "--unused-for-days", "0", "--limit", "2")
	require.Len(t, hygiene.Items, 2, "never used counts as unused")
	require.NotNil(t, hygiene.NextCursor)
	require.Equal(t, c.ok("keys", "list", acc.ID, "-o", "plain"), c.ok("keys", "hygiene", "--all", "--limit", "1", "-o", "plain"), "every key of every account")
	require.Regexp(t, `(?m)^ID\s+ACCOUNT\s+NAME\s+HINT\s+CREATED\s+LAST USED\s+EXPIRES\s+STATUS\n`+keys.Items[0].ID+`\s+`+acc.ID+`\s`, c.ok("keys", "hygiene"))
	require.Contains(t, c.fail(1, "keys", "hygiene", "--expires-within-days", "-1"), "--expires-within-days: must be from 0 to 36500")

	// permissions grant, list, set-limiter, revoke.
	var perm permissionOut
	c.json(&perm, "permissions", "grant", acc.ID, "--type", "study", "--key", "tekenradar", "--action", "get-responses", "--limiter", `[{"surveyKey":"intake"}]`)
	require.Equal(t, permissionOut{
		ID: perm.ID, ServiceAccountID: acc.ID, ResourceType: "study", ResourceKey: "tekenradar",
		Action: "get-responses", Limiter: json.RawMessage(`[{"surveyKey":"intake"}]`), CreatedAt: perm.CreatedAt,
	}, perm)
	require.Regexp(t, apiTime, perm.CreatedAt)
	var whole permissionOut
	c.json(&whole, "permissions", "grant", acc.ID, "--type", "users", "--key", "*", "--action", "delete-users")
	require.Equal(t, "null", string(whole.Limiter))

	var perms permissionListOut
	c.json(&perms, "permissions", "list", acc.ID)
	require.Equal(t, []string{perm.ID, whole.ID}, []string{perms.Items[0].ID, perms.Items[1].ID})
	require.Regexp(t, `(?m)^`+perm.ID+`\s+study\s+tekenradar\s+get-responses\s+\[\{"surveyKey":"intake"\}\]\s`, c.ok("permissions", "list", acc.ID))

	var limited permissionOut
	c.json(&limited, "permissions", "set-limiter", acc.ID, perm.ID, "--limiter", `[{"surveyKey":["intake","followup"]}]`)
	require.JSONEq(t, `[{"surveyKey":["intake","followup"]}]`, string(limited.Limiter))
	c.json(&limited, "permissions", "set-limiter", acc.ID, perm.ID, "--limiter", "null")
	require.Equal(t, "null", string(limited.Limiter), "null removes the limiter")

	require.Contains(t, c.ok("permissions", "revoke", acc.ID, whole.ID, "--yes"), "Revoked permission "+whole.ID)
	c.json(&perms, "permissions", "list", acc.ID)
	require.Len(t, perms.Items, 1)

	// catalog.
	var catalog catalogOut
	c.json(&catalog, "catalog")
	require.Equal(t, "study", catalog.ResourceTypes[0].ID)
	require.Equal(t, "study\nmessaging\nusers\n", c.ok("catalog", "-o", "plain"))
	require.Regexp(t, `(?m)^messaging\s+Messaging\s+global-email-templates, .*\s\*\s+studyKey$`, c.ok("catalog"))

	// keys delete, accounts delete.
	require.Empty(t, c.ok("keys", "delete", acc.ID, created.ID, "--yes", "-o", "json"), "deletes print nothing for scripts")
	c.json(&keys, "keys", "list", acc.ID)
	require.Len(t, keys.Items, 2)
	require.NotContains(t, []string{keys.Items[0].ID, keys.Items[1].ID}, created.ID)

	require.Contains(t, c.ok("accounts", "delete", acc.ID, "--yes"), "Deleted service account "+acc.ID)
	msg := c.fail(1, "accounts", "get", acc.ID)
	require.Contains(t, msg, "no service account "+accountID.String())
	require.Contains(t, msg, "accounts list", "says what to do")
	c.fail(1, "keys", "list", acc.ID)
	c.fail(1, "permissions", "list", acc.ID)
	c.json(&page, "accounts", "list")
	require.Equal(t, []accountOut{{ID: second, Tenant: "default", Label: "Tekenradar export", CreatedAt: page.Items[0].CreatedAt, UpdatedAt: page.Items[0].UpdatedAt}}, page.Items)
	assert.Equal(t, "", c.ok("accounts", "delete", second, "-y", "-o", "plain"))
}
