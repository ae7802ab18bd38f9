package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

// forEachDialect runs test as a parallel subtest per dialect whose
// database is available.
func forEachDialect(t *testing.T, test func(t *testing.T, d testDialect, url string)) {
	t.Helper()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			test(t, d, d.url(t))
		})
	}
}

// testStore is a migrated store of its own, with the pool and prefix
// under it, for tests that reach past the Store interface.
type testStore struct {
	*sqlstore.Store
	db     *bun.DB
	prefix string
}

func newTestStore(t *testing.T, url string) testStore {
	t.Helper()
	db := sqltest.Open(t, url)
	prefix := sqltest.UniquePrefix()
	migrateForTest(t, db, prefix)
	s, err := sqlstore.New(db, sqlstore.WithTablePrefix(prefix))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return testStore{Store: s, db: db, prefix: prefix}
}

// migrateForTest migrates prefix in db and drops its tables when t ends.
func migrateForTest(t testing.TB, db *bun.DB, prefix string) {
	t.Helper()
	require.NoError(t, sqlstore.Migrate(t.Context(), db, sqlstore.WithTablePrefix(prefix)))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		require.NoError(t, sqlstore.DropTables(ctx, db, sqlstore.WithTablePrefix(prefix)))
	})
}

var base = time.Date(2026, 11, 25, 10, 30, 0, 123456000, time.UTC)

func newID(t testing.TB) uuid.UUID {
	id, err := uuid.NewV7()
	require.NoError(t, err)
	return id
}

func createAccount(t *testing.T, s store.Store) serviceaccount.Account {
	t.Helper()
	a := serviceaccount.Account{ID: newID(t), Label: "a", Description: "d", CreatedAt: base, UpdatedAt: base}
	require.NoError(t, storetest.Autocommit{Store: s}.AccountCreate(t.Context(), store.DefaultTenant, a))
	return a
}

func createKey(t *testing.T, s store.Store, accountID uuid.UUID) apikey.Key {
	t.Helper()
	plaintext, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(t, err)
	k := apikey.Key{ID: newID(t), AccountID: accountID, Hash: apikey.HashKey(plaintext), Hint: apikey.Hint(plaintext), CreatedAt: base}
	require.NoError(t, storetest.Autocommit{Store: s}.KeyCreate(t.Context(), store.DefaultTenant, k))
	return k
}

// createPermission grants a permission on a study of its own, so that
// several are different grants.
func createPermission(t *testing.T, s store.Store, accountID uuid.UUID) permission.Permission {
	t.Helper()
	id := newID(t)
	p := permission.Permission{
		ID: id, AccountID: accountID, ResourceType: "study", ResourceKey: "s-" + id.String(), Action: "get-reports",
		Limiter: limiter.MustParse(`[{"reportKey":"r1"}]`), CreatedAt: base,
	}
	require.NoError(t, storetest.Autocommit{Store: s}.PermissionCreate(t.Context(), store.DefaultTenant, p))
	return p
}

// requireSystemError asserts that err is an error and neither sentinel:
// what a database that is down must produce.
func requireSystemError(t *testing.T, err error, call string) {
	t.Helper()
	require.Error(t, err, call)
	require.NotErrorIs(t, err, store.ErrNotFound, call)
	require.NotErrorIs(t, err, store.ErrConflict, call)
}

// seedHash is the hash of seeded key i: quick to make, and the same in
// every run, so that a cached seeded database can be looked up.
func seedHash(i int) apikey.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return sha256.Sum256(b[:])
}

// proxy forwards TCP connections to a database until it is cut, so that
// a test can take the database away from a pool that is in use.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cut    bool
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.Cut)
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

// Cut closes the listener and every forwarded connection: from then on
// the database is unreachable through the proxy.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
}

// through returns rawURL with its host and port replaced by the proxy's.
func (p *proxy) through(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	u.Host = p.ln.Addr().String()
	return u.String()
}

// hostPort returns the host:port of a database URL.
func hostPort(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	if u.Port() == "" {
		switch u.Scheme {
		case "mysql":
			return net.JoinHostPort(u.Hostname(), "3306")
		default:
			return net.JoinHostPort(u.Hostname(), "5432")
		}
	}
	return u.Host
}

// closedPort returns a local TCP address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
