package sqlstore_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
	"github.com/seed-c7fc2061/serviceaccounts/store/storetest"
)

func TestOpenDBOpensEachSupportedURL(t *testing.T) {
	for name, url := range map[string]func(t testing.TB) string{
		"sqlite file":      func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "dir with space?#%.db") },
		"sqlite in memory": func(testing.TB) string { return "sqlite::memory:" },
		"postgres":         sqltest.PostgresURL,
		// The other spelling of the scheme.
		"postgresql": func(t testing.TB) string {
			return "postgresql" + strings.TrimPrefix(sqltest.PostgresURL(t), "postgres")
		},
		"mysql": sqltest.MySQLURL,
	} {
		t.Run(name, func(t *testing.T) {
			db, err := sqlstore.OpenDB(t.Context(), url(t))
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			requireWorks(t, db)
		})
	}
}

// requireWorks migrates a store of its own in db and round-trips a key.
func requireWorks(t *testing.T, db *bun.DB) {
	t.Helper()
	prefix := sqltest.UniquePrefix()
	migrateForTest(t, db, prefix)
	s, err := sqlstore.New(db, sqlstore.WithTablePrefix(prefix))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	at := time.Date(2031, 2, 3, 4, 5, 6, 789012000, time.UTC)
	a := serviceaccount.Account{ID: newID(t), Label: "😀 ü", CreatedAt: at, UpdatedAt: at}
	require.NoError(t, storetest.Autocommit{Store: s}.AccountCreate(t.Context(), store.DefaultTenant, a))
	k := createKey(t, s, a.ID)
	c, err := s.KeyByHash(t.Context(), k.Hash)
	require.NoError(t, err)
	require.Equal(t, a.Label, c.Account.Label)
	require.Equal(t, time.UTC, c.Account.CreatedAt.Location())
	require.True(t, at.Equal(c.Account.CreatedAt), "want %s, got %s", at, c.Account.CreatedAt)
}

func TestOpenDBRefusesWhatItDoesNotKnow(t *testing.T) {
	for _, u := range []string{
		"",
		"nothing",
		"oracle://scott:tiger@localhost/x",
		"sqlite:",
		"mysql://root@127.0.0.1:3306/",
		"mysql://root@127.0.0.1:3306",
		"mysql:///test",
		"mysql://root:secret@127.0.0.1:3306/test?parseTime=notabool",
		"postgres://postgres:secret@127.0.0.1:5432/test?sslmode=nonsense",
	} {
		db, err := sqlstore.OpenDB(t.Context(), u)
		require.Error(t, err, u)
		require.Nil(t, db)
		require.NotContains(t, err.Error(), "secret")
	}
}

// TestTimesSurviveAnyDriverSettings opens pools the way an application
// might, not through OpenDB: times must still come back exact and in UTC.
func TestTimesSurviveAnyDriverSettings(t *testing.T) {
	t.Run("mysql", func(t *testing.T) {
		url := sqltest.MySQLURL(t)
		for _, params := range []string{
			"parseTime=false",
			"parseTime=true&loc=Asia%2FTokyo",
			"parseTime=true&loc=America%2FNew_York&interpolateParams=false",
		} {
			t.Run(params, func(t *testing.T) {
				cfg := mysqlDSN(t, url, params)
				sqldb, err := sql.Open("mysql", cfg)
				require.NoError(t, err)
				db := bun.NewDB(sqldb, mysqldialect.New())
				t.Cleanup(func() { db.Close() })
				requireWorks(t, db)
			})
		}
	})
	t.Run("postgres session in another time zone", func(t *testing.T) {
		url := sqltest.PostgresURL(t)
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		db, err := sqlstore.OpenDB(t.Context(), url+sep+"timezone=Asia%2FTokyo")
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		requireWorks(t, db)
	})
}

// mysqlDSN turns a mysql:// URL into a go-sql-driver DSN with params.
func mysqlDSN(t *testing.T, url, params string) string {
	t.Helper()
	cfg := mysql.NewConfig()
	u := strings.TrimPrefix(url, "mysql://")
	userinfo, rest, _ := strings.Cut(u, "@")
	cfg.User, cfg.Passwd, _ = strings.Cut(userinfo, ":")
	cfg.Net = "tcp"
	cfg.Addr, cfg.DBName, _ = strings.Cut(rest, "/")
	cfg.DBName, _, _ = strings.Cut(cfg.DBName, "?")
	return cfg.FormatDSN() + "?" + params
}

// TestStoreOnABareSQLitePool runs the suite on SQLite opened with none of
// OpenDB's settings (no foreign_keys, no WAL, no IMMEDIATE transactions)
// except a busy timeout: the store must not depend on them.
func TestStoreOnABareSQLitePool(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "bare.db")+"?_pragma=busy_timeout(10000)")
		require.NoError(t, err)
		db := bun.NewDB(sqldb, sqlitedialect.New())
		t.Cleanup(func() { db.Close() })
		var fk int
		require.NoError(t, db.QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&fk))
		require.Zero(t, fk, "foreign keys are not enforced on this pool")
		require.NoError(t, sqlstore.Migrate(t.Context(), db))
		s, err := sqlstore.New(db)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestStoreOnPostgresWithTheSimpleProtocol runs the suite with pgx in the
// mode PgBouncer's transaction pooling needs (no prepared statements).
func TestStoreOnPostgresWithTheSimpleProtocol(t *testing.T) {
	url := sqltest.PostgresURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	url += sep + "default_query_exec_mode=simple_protocol"
	storetest.Run(t, func(t *testing.T) store.Store { return sqltest.NewStore(t, url) })
}

// TestRedactURLHidesEveryPassword: RedactURL is internal/connstr's
// Redact, which has the full table; these are its main forms.
func TestRedactURLHidesEveryPassword(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:hunter2@h:5432/db?sslmode=disable":      "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db?password=hunter2&sslmode=disable":  "postgres://u@h/db?password=xxxxx&sslmode=disable",
		"postgres://u@h/db?PASSWORD=hunter2":                  "postgres://u@h/db?PASSWORD=xxxxx",
		"mysql://root:p@ss@host:3306/db":                      "mysql://root:xxxxx@host:3306/db",
		"mysql://root@host/db?pwd=hunter2":                    "mysql://root@host/db?pwd=xxxxx",
		"postgres://u@h/db?sslpassword=hunter2&sslkey=/k.pem": "postgres://u@h/db?sslkey=%2Fk.pem&sslpassword=xxxxx",
		"sqlite:/tmp/x.db":                                    "sqlite:/tmp/x.db",
		"postgres://u:hunter2@h:bad port/db":                  "postgres:xxxxx@h:bad port/db",
		"host=h password='p@ss hunter2' dbname=db":            "host=h password=xxxxx dbname=db",
		"root:hunter2@tcp(h:3306)/db":                         "root:xxxxx@tcp(h:3306)/db",
		"postgres:/u:hunter2@h/db":                            "postgres:xxxxx@h/db",
	} {
		got := sqlstore.RedactURL(in)
		require.Equal(t, want, got, in)
		require.NotContains(t, got, "hunter2")
		require.NotContains(t, got, "p@ss")
	}
}

// TestOpenDBErrorsNeverHoldThePassword: whatever the form, OpenDB's
// error (its own text and the driver's) masks the password.
func TestOpenDBErrorsNeverHoldThePassword(t *testing.T) {
	t.Parallel()
	for _, conn := range []string{
		"host=127.0.0.1 port=1 password='hunter2 x' dbname=db",
		"password=x:hunter2 host=127.0.0.1",
		"root:hunter2@tcp(127.0.0.1:1)/db",
		"postgres:/u:hunter2@127.0.0.1:1/db",
		"postgres:///u:hunter2@127.0.0.1:1/db?connect_timeout=5", // pgx quotes the database name
		"postgres://u:hunter2@127.0.0.1:1/db?sslmode=disable&connect_timeout=5",
		"mysql://u:hunter2@127.0.0.1:1/db",
		// A raw '/' in the password (user 127.0.0.1, password 1/hunter2):
		// pgx reads host 127.0.0.1:1 and database hunter2@h/db, and quotes it.
		"postgres://127.0.0.1:1/hunter2@h/db?connect_timeout=5",
	} {
		_, err := sqlstore.OpenDB(t.Context(), conn)
		require.Error(t, err, conn)
		require.NotContains(t, err.Error(), "hunter2", conn)
	}
}

// TestOpenDBUsesUTF8MB4WhateverTheMySQLURLSays: a charset in the URL that
// cannot hold emoji would lose them; OpenDB overrides it.
func TestOpenDBUsesUTF8MB4WhateverTheMySQLURLSays(t *testing.T) {
	base := sqltest.MySQLURL(t)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	for _, params := range []string{"charset=latin1", "charset=utf8", "charset=utf8&collation=utf8_general_ci", "collation=latin1_swedish_ci"} {
		t.Run(params, func(t *testing.T) {
			db, err := sqlstore.OpenDB(t.Context(), base+sep+params)
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			var charset string
			require.NoError(t, db.DB.QueryRowContext(t.Context(), "SELECT @@character_set_connection").Scan(&charset))
			require.Equal(t, "utf8mb4", charset)
			requireWorks(t, db) // round-trips an emoji label
		})
	}
}

// TestOpenExistingDBNeverCreatesAnSQLiteFile: a path that does not exist
// is ErrNoDatabaseFile, naming it, and no file appears; an existing one
// opens.
func TestOpenExistingDBNeverCreatesAnSQLiteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.db")
	_, err := sqlstore.OpenExistingDB(t.Context(), "sqlite:"+path)
	require.ErrorIs(t, err, sqlstore.ErrNoDatabaseFile)
	require.ErrorContains(t, err, path)
	require.NoFileExists(t, path)

	db, err := sqlstore.OpenDB(t.Context(), "sqlite:"+path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	db, err = sqlstore.OpenExistingDB(t.Context(), "sqlite:"+path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
}
