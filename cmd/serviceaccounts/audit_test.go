package main

import (
	"encoding/json"
	"os"
	"os/user"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

type auditEventOut struct {
	ID         string `json:"id"`
	Tenant     string `json:"tenant"`
	OccurredAt string `json:"occurredAt"`
	Actor      *struct {
		ID        string `json:"id"`
		Address   string `json:"address"`
		UserAgent string `json:"userAgent"`
	} `json:"actor"`
	Action           string          `json:"action"`
	ServiceAccountID string          `json:"serviceAccountId"`
	TargetID         *string         `json:"targetId"`
	Details          json.RawMessage `json:"details"`
}

type auditPageOut struct {
	Items      []auditEventOut `json:"items"`
	NextCursor *string         `json:"nextCursor"`
}

// TestChangesAreAuditedAsTheCLIAndItsUser makes changes with the tool and
// reads them back with audit list: each names the actor cli:USER from this
// host, and the details never hold the key.
func TestChangesAreAuditedAsTheCLIAndItsUser(t *testing.T) {
	t.Parallel()
	c := newTool(t, sqltest.SQLiteURL(t), "")
	c.ok("migrate")
	account := strings.TrimSpace(c.ok("accounts", "create", "--label", "CI deploy", "-o", "plain"))
	key := strings.TrimSpace(c.ok("keys", "create", account, "-o", "plain"))
	c.secrets = append(c.secrets, key)
	perm := strings.TrimSpace(c.ok("permissions", "grant", account, "--type", "users", "--key", "*", "--action", "*", "-o", "plain"))
	other := strings.TrimSpace(c.ok("accounts", "create", "--label", "other", "-o", "plain"))
	c.fail(1, "keys", "create", account, "--expires-at", "2001-01-01T00:00:00Z") // refused: no event

	u, err := user.Current()
	require.NoError(t, err)
	host, err := os.Hostname()
	require.NoError(t, err)

	var page auditPageOut
	c.json(&page, "audit", "list", "--account", account)
	require.Len(t, page.Items, 3)
	require.Equal(t, []string{"permission.create", "key.create", "account.create"},
		[]string{page.Items[0].Action, page.Items[1].Action, page.Items[2].Action}, "newest first")
	for _, e := range page.Items {
		require.NotNil(t, e.Actor)
		require.Equal(t, "cli:"+u.Username, e.Actor.ID)
		require.Equal(t, host, e.Actor.Address)
		require.Equal(t, "serviceaccounts-cli", e.Actor.UserAgent)
		require.Equal(t, account, e.ServiceAccountID)
		require.NotContains(t, string(e.Details), key)
	}
	require.Equal(t, perm, *page.Items[0].TargetID)
	require.Nil(t, page.Items[2].TargetID)

	c.json(&page, "audit", "list", "--action", "account.create", "--actor", "cli:"+u.Username)
	require.Len(t, page.Items, 2)
	require.Equal(t, other, page.Items[0].ServiceAccountID)
	c.json(&page, "audit", "list", "--actor", "admin-token")
	require.Empty(t, page.Items)
	c.json(&page, "audit", "list", "--limit", "1")
	require.NotNil(t, page.NextCursor)
	require.Equal(t, 4, strings.Count(c.ok("audit", "list", "--limit", "1", "--all", "-o", "plain"), "\n"))
	require.Regexp(t, `(?m)^OCCURRED\s+ACTION\s+ACCOUNT\s+TARGET\s+ACTOR\s+DETAILS$`, c.ok("audit", "list"))

	for _, bad := range []string{"00000000-0000-0000-0000-000000000000", "", "nope"} {
		msg := c.fail(1, "audit", "list", "--account", bad)
		require.Contains(t, msg, "--account: must", "an account filter that names nothing is refused, never read as no filter")
	}
	c.json(&page, "audit", "list", "--account", "0192f0c1-7a3b-7c4d-8e5f-0123456789ab")
	require.Empty(t, page.Items, "an id nobody used matches nothing")

	msg := c.fail(1, "audit", "list", "--since", "yesterday", "--action", "key.frobnicate")
	require.Contains(t, msg, "--action: must be one of")
	require.Contains(t, msg, "--since: must be an RFC 3339 time")
}
