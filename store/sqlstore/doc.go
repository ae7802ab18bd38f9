// Package sqlstore is a store.Store on bun, for SQLite (pure Go,
// modernc.org/sqlite), PostgreSQL (pgx) and MySQL/MariaDB
// (go-sql-driver/mysql). It passes the same conformance suite
// (store/storetest) as the in-memory store on all three.
//
// This package imports no driver: each dialect is a package that
// registers itself with [Register] when imported, as database/sql drivers
// do, so that an application links only the driver it uses:
//
//	import _ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite"
//
//	db, err := sqlstore.OpenDB(ctx, "sqlite:serviceaccounts.db")
//	...
//	if err := sqlstore.Migrate(ctx, db); err != nil { ... }
//	s, err := sqlstore.New(db)
//
// # Schema
//
// Three tables, created by embedded migrations (bun's migrate package, one
// directory per dialect): service_accounts, service_account_keys (a unique
// index on the key hash, an index on the account id) and
// service_account_permissions (an index on the account id, and a unique
// index on the account id and the grant key, permission.GrantKey, which
// refuses a grant the account already holds). Keys and
// permissions reference their account with ON DELETE CASCADE, so a row can
// never outlive its account. [WithTablePrefix] puts a prefix in front of
// every table and index name, bun's bookkeeping tables included, so the
// tables can live in an application's existing database and several
// prefixes in one database are independent schemas.
//
// # Tenants
//
// Accounts, audit events and change-log rows carry a tenant column (NOT
// NULL DEFAULT 'default', so every row of an earlier version lands in the
// tenant "default"); keys and permissions lie in their account's tenant,
// and every statement that reaches one by id also names the tenant
// through its account, so an id of another tenant matches no row. A
// tenant's account list walks an index on (tenant, id), and its audit
// list indexes that begin with the tenant. service_account_policies holds
// one stored policy per tenant that has one, and
// service_account_policy_defaults the one row of the database-wide
// default (durations in whole seconds).
//
// Ids are stored in 16 bytes (uuid, BINARY(16), BLOB), key hashes in 32.
// Times are UTC with microsecond precision: timestamptz on PostgreSQL,
// DATETIME(6) holding UTC on MySQL, and INTEGER microseconds since the
// Unix epoch on SQLite (exact, and ordered by integer comparison). Strings
// are text columns without a length limit (utf8mb4_bin on MySQL), so any
// Unicode, emoji included, round-trips unchanged; lengths are the
// Manager's validation, not the schema's.
//
// Migrations only add: new columns are nullable or have a default, so a
// database of an earlier version upgrades in place with its rows intact,
// and code of the earlier version keeps working during a rolling upgrade
// (TestUpgradingKeepsEveryRow starts from every earlier schema). After
// the SQL, Migrate fills in the grant key of permissions written before
// it existed; identical grants stored twice (version 1 checked for them
// with a read that a concurrent request could pass) become one, the
// oldest.
//
// [Migrate] is idempotent, and safe when several processes run it at once:
// on PostgreSQL and MySQL it holds an advisory lock (pg_advisory_lock,
// GET_LOCK) for its duration, and on every dialect each statement of a
// migration is itself idempotent (IF NOT EXISTS), which is what makes it
// safe on SQLite, where concurrent writers are serialized by the database
// file's lock.
//
// # Change log
//
// Two more tables carry the change log that instances sharing the
// database follow (package changefeed): service_account_changes (id,
// account id, time, tenant and kind, account or policy; an index on the
// time, for pruning) and
// service_account_change_head, one row holding the latest id. A change
// takes its id by incrementing that row, which it then holds locked until
// it commits, so ids are taken in commit order and a rollback leaves no
// gap: a reader polling "ids above the last one I saw" can never skip a
// change that committed late, as it could with a sequence or
// AUTO_INCREMENT, whose ids are taken before commit. (On MySQL a commit
// may become visible a moment after the next one; a reader that finds an
// id missing reads again before concluding it was pruned.) The price is that the ends of
// concurrent changes (one statement and the commit) queue on that row.
// On PostgreSQL the same statement sends pg_notify on a channel named
// after the change table ([Store.ChangeChannel]), and [Store.ChangeListener]
// LISTENs on a connection of the pool. ChangeList reads the head and the
// rows after a position in one statement, so ids missing below the head
// were pruned (or, on MySQL, are a moment from visible); ChangePrune deletes old rows in batches of 1,000, skipping
// rows another pruner holds (SKIP LOCKED; MySQL in a READ COMMITTED
// transaction, so that it takes no gap locks).
//
// # Webhooks and the outbox
//
// service_account_webhooks holds each tenant's webhooks (the event types
// as JSON text; the secret as given, since signing needs it) and
// service_account_deliveries the outbox: one row per event and webhook,
// written in the change's transaction, with its fixed body, its attempts
// (JSON text), the next attempt's time and a lease (lease_owner,
// lease_until). [Store.OutboxClaim] picks due rows in one transaction,
// SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL and MariaDB (SQLite's
// single writer serializes claimers instead), and writes the lease, so
// two senders never claim one row; [Store.OutboxRecord] ends the claim
// only for the owner that holds it.
//
// # Transactions
//
// [Store.InTx] runs a unit of work in one database transaction (BEGIN
// IMMEDIATE on SQLite, so that its writers queue for the lock at the
// start instead of failing half-way). Every statement is written once
// against a small executor interface that *sql.DB and *sql.Tx both
// satisfy, so the same code serves the pool and a transaction. The
// transaction's AccountGet locks the account row (SELECT … FOR UPDATE on
// PostgreSQL and MySQL), so that changes which count or check an
// account's keys before writing serialize per account. A transaction that
// loses a race (deadlock, serialization failure, busy file) is run again
// whole, a few times.
//
// # Round trips
//
// Statements are sent with driver-level placeholders through the *sql.DB
// under the bun.DB, never as text with the arguments spliced in, so their
// text is constant: pgx prepares each statement once per connection and
// then runs it in one round trip. (bun query hooks do not see them.)
//
// KeyByHash, the lookup behind every authenticated request, is one SELECT
// joining the key (through the unique hash index), its account and the
// account's permissions (one row per permission, sorted by id in Go:
// MySQL would sort them in an on-disk temporary table). It takes one
// round trip on PostgreSQL, and on MySQL when the DSN sets
// interpolateParams=true (as [OpenDB] does); without it go-sql-driver
// prepares and executes separately, two round trips. SQLite has no network
// at all; there the statement is prepared once and kept (release it with
// [Store.Close]). It is never one query per permission, and its cost does
// not grow with the number of keys stored (see BenchmarkKeyByHash).
//
// KeysTouch writes a whole batch with one UPDATE joined to the batch's
// values (PostgreSQL: one statement whatever the size, through arrays;
// MySQL and SQLite: one statement per 1,000 keys, all in one transaction).
// A time only replaces an older one, compared in the database, so two
// processes flushing the same key in any order keep the later time. Writes
// that lose a race (a deadlock, a busy SQLite file) are run again a few
// times.
//
// # Errors
//
// Every driver error goes through one function: no rows become
// store.ErrNotFound, unique violations store.ErrConflict, a foreign-key
// violation on insert (the account does not exist) store.ErrNotFound.
// Everything else (a lost connection, a closed pool, a cancelled context)
// is returned wrapped, never as a sentinel, so that callers answer 503
// rather than 401 when the database is down. Error messages never carry a
// key hash: a duplicate-hash error says only that there is a conflict.
//
// # SQLite
//
// [OpenDB] opens SQLite files in WAL mode (readers do not wait for the
// writer) with foreign_keys on, a 10 s busy_timeout and BEGIN IMMEDIATE
// transactions, so that concurrent writers queue for the file lock instead
// of failing with "database is locked". The pool is bounded (each modernc
// connection has its own page cache); ":memory:" uses a single connection
// because every connection to it would otherwise be a separate database.
// When you open SQLite yourself, set the same pragmas. The store does not
// rely on foreign_keys for correctness: key and permission inserts check
// that the account exists in the same statement, and deleting an account
// deletes its keys and permissions explicitly.
package sqlstore
