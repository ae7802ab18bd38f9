package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*tx)(nil)
)

// Store is a store.Store on a bun.DB. It is safe for concurrent
// use; the pool belongs to the caller, who closes it.
type Store struct {
	db      *bun.DB
	sql     *sql.DB
	dialect dialect.Name
	prefix  string
	q       queries
	changes changeQueries
	own     *ownChanges // changes recorded through this Store, for ChangeList's Own

	// keyByHashStmt is KeyByHash's statement, prepared on first use, on
	// SQLite only: there, parsing and planning is nearly half the cost of
	// the lookup, and nothing else caches it. pgx caches prepared
	// statements itself (and a prepared statement of ours would break
	// PgBouncer's transaction pooling); on MySQL one would add a round
	// trip per connection.
	stmtMu        sync.Mutex
	keyByHashStmt *sql.Stmt

	// claimMu serializes OutboxClaim on SQLite. A claim reads, then
	// writes; on a pool whose transactions are not IMMEDIATE, two claims
	// of one process can both hold the read lock, and SQLite refuses the
	// upgrade to a write lock at once (SQLITE_BUSY, no busy wait), more
	// often than the retries absorb. SQLite has one writer anyway.
	claimMu sync.Mutex
}

// Option configures New, Migrate and DropTables. Pass the same options to
// all three.
type Option func(*config)

type config struct {
	prefix string
	// migrateUntil stops Migrate after the migration of that name (its
	// timestamp); "" applies all. Only tests of upgrades set it.
	migrateUntil string
}

// WithTablePrefix puts prefix in front of every table and index name, so
// the tables can share a database with an application's own, and several
// prefixes in one database are independent stores. A prefix is at most
// 20 lowercase ASCII letters, digits and underscores, starting with a
// letter: lowercase only, because PostgreSQL folds unquoted names to lower
// case and MySQL compares table names case-sensitively on some systems
// and not on others.
func WithTablePrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// MaxTablePrefixLength keeps the names of the store's tables and indexes
// within PostgreSQL's 63-byte identifier limit (MySQL's is 64).
const MaxTablePrefixLength = 20

var prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func newConfig(opts []Option) (config, error) {
	var c config
	for _, opt := range opts {
		opt(&c)
	}
	if c.prefix != "" && (len(c.prefix) > MaxTablePrefixLength || !prefixPattern.MatchString(c.prefix)) {
		return c, fmt.Errorf("sqlstore: invalid table prefix %q: want at most %d lowercase letters, digits and underscores, starting with a letter", c.prefix, MaxTablePrefixLength)
	}
	return c, nil
}

// New returns a store on db, whose tables Migrate has created (New itself
// does no I/O). db must use bun's pgdialect, mysqldialect or sqlitedialect,
// and the matching package (store/sqlstore/postgres, …/mysql, …/sqlite)
// must be imported: its driver's errors are how the store tells a
// conflict from a failure, so New refuses a dialect nobody registered.
func New(db *bun.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *bun.DB")
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	name := db.Dialect().Name()
	if !supported(name) {
		return nil, fmt.Errorf("sqlstore: unsupported dialect %s (want pg, mysql or sqlite)", name)
	}
	if _, err := dialectByName(name); err != nil {
		return nil, err
	}
	return &Store{
		db:      db,
		sql:     db.DB,
		dialect: name,
		prefix:  c.prefix,
		q:       buildQueries(name, tableNames(c.prefix)),
		changes: buildChangeQueries(name, tableNames(c.prefix)),
		own:     &ownChanges{},
	}, nil
}

// Close releases the statement the store prepared (on SQLite; a later
// lookup prepares it again). It does not close the pool, which belongs to
// the caller.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.keyByHashStmt == nil {
		return nil
	}
	err := s.keyByHashStmt.Close()
	s.keyByHashStmt = nil
	return err
}

// Migrate creates or updates the store's tables; see the package
// documentation. It is the package-level Migrate with the store's options.
func (s *Store) Migrate(ctx context.Context) error {
	return Migrate(ctx, s.db, WithTablePrefix(s.prefix))
}

func supported(name dialect.Name) bool {
	return name == dialect.PG || name == dialect.MySQL || name == dialect.SQLite
}

type tables struct {
	accounts, keys, permissions string
	audit                       string
	changes, changeHead         string
	policies, policyDefaults    string
	webhooks, deliveries        string
	notices                     string
	migrations, migrationLocks  string
}

func tableNames(prefix string) tables {
	return tables{
		accounts:       prefix + "service_accounts",
		keys:           prefix + "service_account_keys",
		permissions:    prefix + "service_account_permissions",
		audit:          prefix + "service_account_audit_events",
		changes:        prefix + "service_account_changes",
		changeHead:     prefix + "service_account_change_head",
		policies:       prefix + "service_account_policies",
		policyDefaults: prefix + "service_account_policy_defaults",
		webhooks:       prefix + "service_account_webhooks",
		deliveries:     prefix + "service_account_deliveries",
		notices:        prefix + "service_account_notices",
		migrations:     prefix + "service_account_migrations",
		migrationLocks: prefix + "service_account_migration_locks",
	}
}

// queries holds every fixed statement, with the table names in place and
// the dialect's placeholders, built once so that each call sends the same
// text (which pgx prepares once per connection).
type queries struct {
	accountInsert, accountGet, accountUpdate, accountLock, accountDelete, accountList string
	// accountSearch is accountList with a LIKE on the lowered label; the
	// pattern escapes its wildcards with '!' (a backslash would need
	// escaping again in MySQL's string literals).
	accountSearch string
	// accountGetForUpdate is accountGet locking the row, for Tx.AccountGet.
	accountGetForUpdate                                                              string
	keyInsert, keyGet, keyUpdate, keyList, keyByHash, keyDelete, keysDeleteOfAccount string
	// keyListAll holds KeyListAll's statement for each combination of its
	// filters: bit 0 the expiry window, bit 1 the unused filter.
	keyListAll                                                                  [4]string
	permissionInsert, permissionList, permissionGet, permissionUpdateLimiter    string
	permissionDelete, permissionsDeleteOfAccount                                string
	auditInsert, auditPrune                                                     string
	policyGet, policyPut, policyDefaultGet, policyDefaultPut, policyDefaultInit string
	tenantList                                                                  string
	// policyDefaultGetLocked reads the default policy with a locking read,
	// which sees the latest committed row whatever the transaction's
	// snapshot (MySQL's REPEATABLE READ would otherwise hide a row that
	// another instance inserted after this transaction's first read).
	policyDefaultGetLocked string
	// touch builds the KeysTouch statement for n keys.
	touch func(n int) string
}

// Column lists in the order of the scanning code (permissionRow for
// permissions) and of the insert arguments.
const (
	accountColumns    = "id, label, description, created_at, updated_at, disabled_at, tenant, metadata"
	keyColumns        = "id, account_id, hash, hint, created_at, last_used_at, expires_at, name, disabled_at, replaced_by, " + keyRestrictionColumns
	permissionColumns = "account_id, id, resource_type, resource_key, action, limiter, created_at"
	// policyColumns are a stored policy's values, in the order of
	// policyArgs and scanPolicy.
	policyColumns = "max_keys_per_account, max_key_lifetime_seconds, default_key_lifetime_seconds, max_rotation_grace_seconds, leaked_key_action, unused_key_days"
	// grant_key is written, never read back: it is permission.GrantKey,
	// under a unique index with the account id.
	permissionInsertColumns = permissionColumns + ", grant_key"

	policyUpdateExcluded = `max_keys_per_account = excluded.max_keys_per_account,
max_key_lifetime_seconds = excluded.max_key_lifetime_seconds,
default_key_lifetime_seconds = excluded.default_key_lifetime_seconds,
max_rotation_grace_seconds = excluded.max_rotation_grace_seconds,
leaked_key_action = excluded.leaked_key_action,
unused_key_days = excluded.unused_key_days`
	policyUpdateMySQL = `max_keys_per_account = VALUES(max_keys_per_account),
max_key_lifetime_seconds = VALUES(max_key_lifetime_seconds),
default_key_lifetime_seconds = VALUES(default_key_lifetime_seconds),
max_rotation_grace_seconds = VALUES(max_rotation_grace_seconds),
leaked_key_action = VALUES(leaked_key_action),
unused_key_days = VALUES(unused_key_days)`
)

func buildQueries(d dialect.Name, t tables) queries {
	r := strings.NewReplacer(
		"{accounts}", t.accounts,
		"{keys}", t.keys,
		"{permissions}", t.permissions,
		"{audit}", t.audit,
		"{policies}", t.policies,
		"{policyDefaults}", t.policyDefaults,
	)
	f := func(query string) string {
		query = r.Replace(query)
		if d == dialect.PG {
			query = numberPlaceholders(query)
		}
		return query
	}

	// Keys and permissions lie in their account's tenant: every statement
	// that reaches one by id also names the tenant, through the account
	// (inTenant), so that another tenant's id matches no row.
	const inTenant = ` AND account_id IN (SELECT id FROM {accounts} WHERE tenant = ?)`
	// The inserts of keys and permissions check, in the statement, that
	// the account exists in the tenant; the foreign key still refuses an
	// account deleted concurrently (PostgreSQL, MySQL).
	const accountInTenant = ` WHERE EXISTS (SELECT 1 FROM {accounts} WHERE id = ? AND tenant = ?)`
	q := queries{
		accountInsert: f(`INSERT INTO {accounts} (` + accountColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		accountGet:    f(`SELECT ` + accountColumns + ` FROM {accounts} WHERE id = ? AND tenant = ?`),
		accountUpdate: f(`UPDATE {accounts} SET label = ?, description = ?, updated_at = ?, disabled_at = ?, metadata = ? WHERE id = ? AND tenant = ?`),
		accountDelete: f(`DELETE FROM {accounts} WHERE id = ? AND tenant = ?`),
		// Through the (tenant, id) index.
		accountList: f(`SELECT ` + accountColumns + ` FROM {accounts} WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?`),
		// The (tenant, id) index orders the walk; the label is filtered
		// row by row (a substring match can use no index).
		accountSearch: f(`SELECT ` + accountColumns + ` FROM {accounts} WHERE tenant = ? AND id > ? AND LOWER(label) LIKE ? ESCAPE '!' ORDER BY id LIMIT ?`),
		// SQLite needs no lock: InTx's BEGIN IMMEDIATE already holds the
		// database's only write lock. The check that the account lies in
		// the tenant runs before its keys and permissions are deleted.
		accountGetForUpdate: f(`SELECT ` + accountColumns + ` FROM {accounts} WHERE id = ? AND tenant = ?`),
		accountLock:         f(`SELECT id FROM {accounts} WHERE id = ? AND tenant = ?`),

		keyInsert: f(`INSERT INTO {keys} (` + keyColumns + `)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?` + accountInTenant),
		keyGet: f(`SELECT ` + keyColumns + ` FROM {keys} WHERE id = ? AND account_id = ?` + inTenant),
		keyUpdate: f(`UPDATE {keys} SET name = ?, expires_at = ?, disabled_at = ?, replaced_by = ?,
scopes = ?, allowed_cidrs = ?, rate_limit = ?, rate_limit_period = ?, metadata = ? WHERE id = ? AND account_id = ?` + inTenant),
		// One statement answers both "does the account exist" (no row)
		// and "which keys does it have" (NULL key columns when none).
		// The LEFT JOIN queries have no ORDER BY: MySQL would sort their
		// rows in a temporary table, on disk because of the TEXT columns,
		// which made the lookup seven times slower; the rows are sorted by
		// id (creation order) in Go instead.
		keyList: f(`SELECT a.id, k.id, k.account_id, k.hash, k.hint, k.created_at, k.last_used_at, k.expires_at,
k.name, k.disabled_at, k.replaced_by, k.scopes, k.allowed_cidrs, k.rate_limit, k.rate_limit_period, k.metadata
FROM {accounts} a LEFT JOIN {keys} k ON k.account_id = a.id
WHERE a.id = ? AND a.tenant = ?`),
		// The authentication lookup: one row per permission (one row with
		// NULL permission columns when there is none), found through the
		// unique hash index and the permissions' (account_id, id) index.
		// Keys are global: the lookup names no tenant, and returns the
		// account's.
		keyByHash: f(`SELECT k.id, k.hint, k.created_at, k.last_used_at, k.expires_at,
k.name, k.disabled_at, k.replaced_by, k.scopes, k.allowed_cidrs, k.rate_limit, k.rate_limit_period, k.metadata,
a.label, a.description, a.created_at, a.updated_at, a.disabled_at, a.tenant, a.metadata,
k.account_id, p.id, p.resource_type, p.resource_key, p.action, p.limiter, p.created_at
FROM {keys} k
JOIN {accounts} a ON a.id = k.account_id
LEFT JOIN {permissions} p ON p.account_id = k.account_id
WHERE k.hash = ?`),
		keyDelete:           f(`DELETE FROM {keys} WHERE id = ? AND account_id = ?` + inTenant),
		keysDeleteOfAccount: f(`DELETE FROM {keys} WHERE account_id = ?`),

		permissionInsert: f(`INSERT INTO {permissions} (` + permissionInsertColumns + `)
SELECT ?, ?, ?, ?, ?, ?, ?, ?` + accountInTenant),
		permissionList: f(`SELECT a.id, p.id, p.resource_type, p.resource_key, p.action, p.limiter, p.created_at
FROM {accounts} a LEFT JOIN {permissions} p ON p.account_id = a.id
WHERE a.id = ? AND a.tenant = ?`),
		permissionGet:              f(`SELECT ` + permissionColumns + ` FROM {permissions} WHERE id = ? AND account_id = ?` + inTenant),
		permissionUpdateLimiter:    f(`UPDATE {permissions} SET limiter = ?, grant_key = ? WHERE id = ? AND account_id = ?` + inTenant),
		permissionDelete:           f(`DELETE FROM {permissions} WHERE id = ? AND account_id = ?` + inTenant),
		permissionsDeleteOfAccount: f(`DELETE FROM {permissions} WHERE account_id = ?`),

		auditInsert: f(`INSERT INTO {audit} (` + auditColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		auditPrune:  f(`DELETE FROM {audit} WHERE occurred_at < ?`),

		policyGet:        f(`SELECT ` + policyColumns + ` FROM {policies} WHERE tenant = ?`),
		policyDefaultGet: f(`SELECT ` + policyColumns + ` FROM {policyDefaults} WHERE id = 1`),
		// The tenants that hold accounts (counted through the (tenant, id)
		// index) merged with those that have a stored policy (counted 0).
		tenantList: f(`SELECT tenant, MAX(n) FROM (
	SELECT tenant, COUNT(*) AS n FROM {accounts} WHERE tenant > ? GROUP BY tenant
	UNION ALL
	SELECT tenant, 0 AS n FROM {policies} WHERE tenant > ?
) t GROUP BY tenant ORDER BY tenant LIMIT ?`),
	}
	policyValues := `?, ?, ?, ?, ?, ?`
	q.policyDefaultGetLocked = q.policyDefaultGet
	if d != dialect.SQLite {
		q.policyDefaultGetLocked = f(`SELECT ` + policyColumns + ` FROM {policyDefaults} WHERE id = 1 FOR UPDATE`)
	}
	switch d {
	case dialect.MySQL:
		q.policyPut = f(`INSERT INTO {policies} (tenant, ` + policyColumns + `) VALUES (?, ` + policyValues + `)
ON DUPLICATE KEY UPDATE ` + policyUpdateMySQL)
		q.policyDefaultPut = f(`INSERT INTO {policyDefaults} (id, ` + policyColumns + `) VALUES (1, ` + policyValues + `)
ON DUPLICATE KEY UPDATE ` + policyUpdateMySQL)
		// Not INSERT IGNORE, which would also swallow other errors.
		q.policyDefaultInit = f(`INSERT INTO {policyDefaults} (id, ` + policyColumns + `) VALUES (1, ` + policyValues + `)
ON DUPLICATE KEY UPDATE id = id`)
	default:
		q.policyPut = f(`INSERT INTO {policies} (tenant, ` + policyColumns + `) VALUES (?, ` + policyValues + `)
ON CONFLICT (tenant) DO UPDATE SET ` + policyUpdateExcluded)
		q.policyDefaultPut = f(`INSERT INTO {policyDefaults} (id, ` + policyColumns + `) VALUES (1, ` + policyValues + `)
ON CONFLICT (id) DO UPDATE SET ` + policyUpdateExcluded)
		q.policyDefaultInit = f(`INSERT INTO {policyDefaults} (id, ` + policyColumns + `) VALUES (1, ` + policyValues + `)
ON CONFLICT (id) DO NOTHING`)
	}

	// Through the primary key, in id order; the filters are evaluated on
	// the rows the walk meets (an operator's occasional query, not a
	// request path).
	for filters := range q.keyListAll {
		where := `account_id IN (SELECT id FROM {accounts} WHERE tenant = ?) AND id > ?`
		if filters&1 != 0 {
			where += ` AND expires_at > ? AND expires_at <= ?`
		}
		if filters&2 != 0 {
			where += ` AND (last_used_at < ? OR (last_used_at IS NULL AND created_at < ?))`
		}
		q.keyListAll[filters] = f(`SELECT ` + keyColumns + ` FROM {keys} WHERE ` + where + ` ORDER BY id LIMIT ?`)
	}

	switch d {
	case dialect.PG:
		// Locks the account row against concurrent key and permission
		// inserts (whose foreign-key check takes a share lock on it), so
		// that a delete and an insert queue instead of deadlocking.
		q.accountLock = f(`SELECT id FROM {accounts} WHERE id = ? AND tenant = ? FOR UPDATE`)
		q.accountGetForUpdate = f(`SELECT ` + accountColumns + ` FROM {accounts} WHERE id = ? AND tenant = ? FOR UPDATE`)
		q.keyGet = f(`SELECT ` + keyColumns + ` FROM {keys} WHERE id = ? AND account_id = ?` + inTenant + ` FOR UPDATE OF {keys}`)
		// Arrays keep the statement text fixed whatever the batch size.
		// The rows are locked in id order first: an UPDATE alone locks
		// them in the order its plan meets them, which for a table scan
		// is their physical order, and that changes with every update,
		// so two concurrent flushes could deadlock.
		touch := f(`WITH v AS (
	SELECT * FROM unnest(?::uuid[], ?::timestamptz[]) AS t(id, used_at)
), locked AS (
	SELECT k.id, v.used_at FROM {keys} k JOIN v ON v.id = k.id
	WHERE k.last_used_at IS NULL OR k.last_used_at < v.used_at
	ORDER BY k.id FOR UPDATE OF k
)
UPDATE {keys} AS k SET last_used_at = l.used_at FROM locked l
WHERE k.id = l.id AND (k.last_used_at IS NULL OR k.last_used_at < l.used_at)`)
		q.touch = func(int) string { return touch }
	case dialect.MySQL:
		// As on PostgreSQL; InnoDB's next-key locks can still make a
		// delete and an insert deadlock, and retry runs the loser again.
		q.accountLock = f(`SELECT id FROM {accounts} WHERE id = ? AND tenant = ? FOR UPDATE`)
		q.accountGetForUpdate = f(`SELECT ` + accountColumns + ` FROM {accounts} WHERE id = ? AND tenant = ? FOR UPDATE`)
		q.keyGet = f(`SELECT ` + keyColumns + ` FROM {keys} WHERE id = ? AND account_id = ?` + inTenant + ` FOR UPDATE`)
		q.touch = func(n int) string {
			var b strings.Builder
			b.WriteString(`UPDATE {keys} AS k JOIN (SELECT CAST(? AS BINARY(16)) AS id, CAST(? AS DATETIME(6)) AS used_at`)
			for range n - 1 {
				b.WriteString(` UNION ALL SELECT ?, ?`)
			}
			b.WriteString(`) AS v ON k.id = v.id
SET k.last_used_at = v.used_at
WHERE k.last_used_at IS NULL OR k.last_used_at < v.used_at`)
			return f(b.String())
		}
	case dialect.SQLite:
		// SQLite has one writer at a time, so there is nothing to lock;
		// and without foreign_keys enforced on the caller's connections,
		// only the check inside the insert itself (accountInTenant)
		// refuses a key or permission of an account that does not exist.
		q.touch = func(n int) string {
			// A VALUES list, unlike UNION ALL, is not limited to 500 terms.
			var b strings.Builder
			b.WriteString(`UPDATE {keys} SET last_used_at = v.column2 FROM (VALUES (?, ?)`)
			for range n - 1 {
				b.WriteString(`, (?, ?)`)
			}
			b.WriteString(`) AS v
WHERE {keys}.id = v.column1 AND ({keys}.last_used_at IS NULL OR {keys}.last_used_at < v.column2)`)
			return f(b.String())
		}
	}
	return q
}

// numberPlaceholders turns each ? into PostgreSQL's $1, $2, …. The
// queries of this package contain no other question mark.
func numberPlaceholders(query string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
