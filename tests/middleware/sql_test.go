package middleware_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite" // sqlite: URLs
)

// openSQLite opens the SQLite file at path as one process would: its own
// pool, store and Manager.
func openSQLite(t *testing.T, path string, clock clockwork.Clock) *serviceaccount.Manager {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenDB(ctx, "sqlite:"+path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, sqlstore.Migrate(ctx, db))
	st, err := sqlstore.New(db)
	require.NoError(t, err)
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clock})
	require.NoError(t, err)
	return mgr
}

// Two Managers on one SQLite file stand for two processes: the second
// one's changes reach the first one's middleware within the cache TTL.
func TestChangesByAnotherProcessOnTheSameSQLDatabaseTakeEffectWithinTheTTL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "serviceaccounts.db")
	clock := clockwork.NewFakeClockAt(t0)
	server := openSQLite(t, path, clock)
	admin := openSQLite(t, path, clock)

	acct, err := admin.CreateAccount(ctx, serviceaccount.AccountInput{Label: "Data pipeline"})
	require.NoError(t, err)
	perm, err := admin.AddPermission(ctx, acct.ID, serviceaccount.PermissionInput{
		ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses",
		Limiter: json.RawMessage(`[{"surveyKey":"s1"}]`),
	})
	require.NoError(t, err)
	key, err := admin.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)

	const ttl = 5 * time.Second
	mw, err := middleware.New(middleware.Config{Manager: server, CacheTTL: ttl})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, mw.Close(ctx)) })
	mux := http.NewServeMux()
	mux.Handle("GET /studies/{studyKey}/responses",
		middleware.Require("study", middleware.PathValue("studyKey"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey")))(http.HandlerFunc(ok)))
	h := mw.Authenticate(mux)
	const s1, s2 = "/studies/tekenradar/responses?surveyKey=s1", "/studies/tekenradar/responses?surveyKey=s2"

	require.Equal(t, http.StatusOK, get(h, s1, key.Plaintext).Code)
	require.Equal(t, http.StatusForbidden, get(h, s2, key.Plaintext).Code)

	// A limiter changed by the other process: seen once the entry expires.
	_, err = admin.SetLimiter(ctx, acct.ID, perm.ID, json.RawMessage(`[{"surveyKey":"s2"}]`))
	require.NoError(t, err)
	clock.Advance(ttl - time.Nanosecond)
	require.Equal(t, http.StatusOK, get(h, s1, key.Plaintext).Code, "stale within the TTL, by design")
	clock.Advance(time.Nanosecond)
	require.Equal(t, http.StatusForbidden, get(h, s1, key.Plaintext).Code)
	require.Equal(t, http.StatusOK, get(h, s2, key.Plaintext).Code)

	// A key deleted by the other process: 401 once the entry expires.
	require.NoError(t, admin.DeleteKey(ctx, acct.ID, key.Key.ID))
	clock.Advance(ttl - time.Nanosecond)
	require.Equal(t, http.StatusOK, get(h, s2, key.Plaintext).Code)
	clock.Advance(time.Nanosecond)
	requireUnauthorized(t, get(h, s2, key.Plaintext), invalidToken, "not valid", key.Plaintext)

	// A key created by the other process after this one cached the miss.
	fresh, err := admin.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, get(h, s2, fresh.Plaintext).Code, "never looked up before")

	// And the uses recorded here reach the shared database.
	require.NoError(t, mw.Close(ctx))
	keys, err := admin.Keys(ctx, acct.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.Equal(t, clock.Now(), *keys[0].LastUsedAt)
}

// Through the same Manager, SQL or not, a revocation holds at once.
func TestRevocationThroughTheManagerOnSQLiteTakesEffectAtOnce(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(t0)
	mgr := openSQLite(t, filepath.Join(t.TempDir(), "serviceaccounts.db"), clock)
	acct, err := mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "Data pipeline"})
	require.NoError(t, err)
	key, err := mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	mw, err := middleware.New(middleware.Config{Manager: mgr})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, mw.Close(ctx)) })
	h := mw.Authenticate(http.HandlerFunc(ok))

	require.Equal(t, http.StatusOK, get(h, "/", key.Plaintext).Code)
	require.NoError(t, mgr.DeleteAccount(ctx, acct.ID))
	require.Equal(t, http.StatusUnauthorized, get(h, "/", key.Plaintext).Code)
}
