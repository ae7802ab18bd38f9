package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// benchVersion names the seeded data set; change it when the schema or
// the seeding changes, so that no stale cache is used.
const benchVersion = 1

const (
	benchAccounts              = 1000
	benchPermissionsPerAccount = 5 // each account's permissions, all returned by a lookup
)

// BenchmarkKeyByHash measures the authentication lookup (a key with its
// account and that account's five permissions) with 1,000 and 1,000,000
// keys stored: the time per lookup must not grow with the table.
//
// The seeded databases are kept between runs to save the seeding (about
// half a minute for a million keys): an SQLite file in os.TempDir(), and
// tables with the prefix bench<version>_<keys>_ in the PostgreSQL and
// MySQL test databases. They are checked before use and seeded again when
// they do not hold exactly the expected rows; SA_BENCH_DROP=1 drops the
// server tables after the run.
func BenchmarkKeyByHash(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.name, func(b *testing.B) {
			url := d.url(b)
			for _, n := range []int{1_000, 1_000_000} {
				b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
					s := seededStore(b, d, url, n)
					// Lookups spread over the whole key range, so that a
					// large table is not served from a few hot pages.
					hashes := make([]apikey.Hash, 1024)
					for i := range hashes {
						hashes[i] = seedHash(i * n / len(hashes))
					}
					ctx := context.Background()
					// One pass before timing: the steady state of a running
					// server has the index pages it uses in memory, and the
					// first pass over a reopened file would measure the disk.
					for _, h := range hashes {
						if _, err := s.KeyByHash(ctx, h); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportAllocs()
					for i := 0; b.Loop(); i++ {
						c, err := s.KeyByHash(ctx, hashes[i%len(hashes)])
						if err != nil {
							b.Fatal(err)
						}
						if len(c.Permissions) != benchPermissionsPerAccount {
							b.Fatalf("%d permissions, want %d", len(c.Permissions), benchPermissionsPerAccount)
						}
					}
				})
			}
		})
	}
}

// seededStore returns a store holding n keys spread over benchAccounts
// accounts, reusing a seeded database from an earlier run when it is
// complete.
func seededStore(b *testing.B, d testDialect, url string, n int) *sqlstore.Store {
	b.Helper()
	ctx := context.Background()
	prefix := fmt.Sprintf("bench%d_%d_", benchVersion, n)
	var db *bun.DB
	if d.name == "sqlite" {
		var err error
		db, err = sqlstore.OpenDB(ctx, "sqlite:"+filepath.Join(os.TempDir(), fmt.Sprintf("serviceaccounts-bench-v%d-%d.db", benchVersion, n)))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
	} else {
		db = sqltest.Open(b, url)
		if os.Getenv("SA_BENCH_DROP") == "1" {
			b.Cleanup(func() { _ = sqlstore.DropTables(context.Background(), db, sqlstore.WithTablePrefix(prefix)) })
		}
	}
	opt := sqlstore.WithTablePrefix(prefix)
	if err := sqlstore.Migrate(ctx, db, opt); err != nil {
		b.Fatal(err)
	}
	s, err := sqlstore.New(db, opt)
	if err != nil {
		b.Fatal(err)
	}
	if complete(ctx, s, n) {
		return s
	}
	if err := sqlstore.DropTables(ctx, db, opt); err != nil {
		b.Fatal(err)
	}
	if err := sqlstore.Migrate(ctx, db, opt); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := seed(ctx, s, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d keys on %s in %s", n, d.name, time.Since(start).Round(time.Millisecond))
	return s
}

// complete reports whether s holds exactly the seeded rows.
func complete(ctx context.Context, s *sqlstore.Store, n int) bool {
	accounts, keys, permissions := tables(s)
	for table, want := range map[string]int{accounts: benchAccounts, keys: n, permissions: benchAccounts * benchPermissionsPerAccount} {
		var got int
		if err := poolOf(s).DB.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&got); err != nil || got != want {
			return false
		}
	}
	c, err := s.KeyByHash(ctx, seedHash(n-1))
	return err == nil && len(c.Permissions) == benchPermissionsPerAccount
}

// seed writes benchAccounts accounts with their permissions and n keys,
// key i belonging to account i mod benchAccounts, in multi-row INSERTs.
func seed(ctx context.Context, s *sqlstore.Store, n int) error {
	accounts := make([]serviceaccount.Account, benchAccounts)
	var perms []permission.Permission
	lim := limiter.MustParse(`[{"surveyKey":["intake","weekly"]}]`)
	for i := range accounts {
		accounts[i] = serviceaccount.Account{
			ID: uuid.Must(uuid.NewV7()), Label: fmt.Sprintf("account %d", i),
			Description: "seeded for the benchmark", CreatedAt: base, UpdatedAt: base,
		}
		for j, action := range []string{"get-responses", "get-reports", "read-study-config", "update-survey", "*"} {
			p := permission.Permission{
				ID: uuid.Must(uuid.NewV7()), AccountID: accounts[i].ID,
				ResourceType: "study", ResourceKey: fmt.Sprintf("study-%d", j), Action: action, CreatedAt: base,
			}
			if j == 0 {
				p.Limiter = lim
			}
			perms = append(perms, p)
		}
	}
	return bulkInsert(s, ctx, accounts, n, func(i int) apikey.Key {
		return apikey.Key{
			ID: uuid.Must(uuid.NewV7()), AccountID: accounts[i%benchAccounts].ID,
			Hash: seedHash(i), Hint: "sa_AbCd…wxyz", CreatedAt: base,
		}
	}, perms)
}

// BenchmarkChangePoll measures an idle poll of the change feed, the one
// query every instance runs every poll interval, with 1,000 and 1,000,000
// keys stored: it reads the change log's head row and an empty range of
// its primary key, and never the keys, so its cost must not grow with
// them.
func BenchmarkChangePoll(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.name, func(b *testing.B) {
			url := d.url(b)
			for _, n := range []int{1_000, 1_000_000} {
				b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
					s := seededStore(b, d, url, n)
					ctx := context.Background()
					head, err := s.ChangeHead(ctx)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					for b.Loop() {
						page, err := s.ChangeList(ctx, store.ChangeListParams{After: head, Limit: 500})
						if err != nil {
							b.Fatal(err)
						}
						if page.Head != head || len(page.Changes) != 0 {
							b.Fatalf("not idle: head %d, %d changes", page.Head, len(page.Changes))
						}
					}
				})
			}
		})
	}
}
