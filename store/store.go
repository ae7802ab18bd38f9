package store

import (
	"context"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
)

// Store persists accounts, keys and permissions. Applications rarely call
// it directly: the Manager validates input and calls it.
//
// Reads are methods of the Store; every write runs inside a unit of work,
// [Store.InTx], through the [Tx] it hands out, so that one change and
// everything recorded with it (the audit event, the change-feed row) are
// committed together or not at all. KeysTouch alone writes outside a
// transaction: it is bookkeeping, not a change made through the Manager.
//
// Every method takes the context first and honours its cancellation.
//
// # Tenants
//
// Every method that reads or writes a tenant's data takes the tenant
// right after the context, and acts in it alone: an id of another
// tenant's account, key or permission is ErrNotFound (exactly as an id
// that names nothing, so that it reveals nothing), lists and counts never
// include another tenant's rows, and a write never reaches one. The
// tenant is part of every lookup, not a filter applied afterwards.
// Callers pass a well-formed id (store.CheckTenant); the Manager checks
// it once when its tenant view is made. The tenant-less methods are the
// ones that cannot know it or act on the whole database: KeyByHash (keys
// are global; the credential's account says its tenant), KeysTouch, the
// change log's polling and pruning, AuditPrune (retention is
// database-wide: a tenant whose accounts are all gone still has events
// to prune), TenantList and the database-wide default policy.
//
// Errors:
//
//   - store.ErrNotFound (wrapped or not; test with errors.Is) when a row
//     does not exist, including a key or permission addressed through an
//     account it does not belong to;
//   - store.ErrConflict when a write would duplicate an id, a key hash or
//     a grant the account already holds;
//   - any other error is a system error (a lost connection, a closed pool,
//     a cancelled context) and must never be reported as ErrNotFound: the
//     middleware answers 401 for ErrNotFound and 503 for anything else, so
//     confusing the two would either lock everyone out or, worse, mask an
//     outage as bad credentials.
//
// Times passed in are UTC with microsecond precision (the Manager truncates
// them); a backend returns them in UTC, keeping at least microseconds.
// Implementations must be safe for concurrent use.
//
// # How the contract grows
//
// Store and Tx gain methods as the library grows (a minor version may add
// one). Implement them only against store/storetest: a backend that passes
// the suite of the version it builds with is complete, and the compiler
// names what a newer version added. Capabilities that not every backend
// can offer are added as separate, optional interfaces that the Manager
// detects with a type assertion, never as methods that may fail with "not
// supported".
type Store interface {
	AccountReader
	KeyReader
	PermissionReader
	AuditStore
	ChangeReader
	TenantLister
	WebhookReader
	NoticeScanner

	// InTx runs fn in one transaction and commits it when fn returns nil.
	// An error from fn, a panic (which InTx lets continue after the
	// rollback), or ctx ending before the commit (as database/sql does,
	// even if fn returned nil) undoes every write fn made and returns an
	// error that is not a sentinel; readers, in this process or
	// another, never see part of it. InTx returns fn's error unchanged
	// (wrapped at most), so sentinels reach the caller.
	//
	// InTx may run fn more than once when the backend reports a lost race
	// (a deadlock, a serialization failure, a busy SQLite file): fn must
	// therefore have no effect outside tx, and compute what it returns
	// afresh on every run. tx is valid only until fn returns. A failed
	// statement may leave the transaction unusable (PostgreSQL aborts it),
	// so fn should return a store error rather than carry on after it.
	//
	// A commit whose answer is lost returns a system error although the
	// transaction may have committed; callers that cache must treat such
	// an error as "maybe changed".
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

	// KeysTouch records when keys were last used, all in one batch (one
	// statement or one transaction in SQL backends). A key's LastUsedAt
	// only moves forward: a touch older than the stored time is ignored, so
	// two processes flushing in any order keep the latest. Touches of keys
	// that no longer exist are ignored (a key deleted between its use and
	// the flush), so the batch never fails for them.
	KeysTouch(ctx context.Context, touches []KeyTouch) error
}

// Tx is one unit of work: every write, and the reads a change needs in its
// own transaction. Its reads see the transaction's own writes.
// [Tx.AccountGet] also locks the account until the transaction ends (SQL:
// SELECT … FOR UPDATE), so that changes which read an account's keys
// before writing (a policy's key count, a rotation) serialize per account.
type Tx interface {
	AccountGet(ctx context.Context, tenant string, id uuid.UUID) (Account, error)
	AccountWriter
	KeyWriter
	PermissionWriter
	AuditWriter
	ChangeRecorder
	WebhookWriter
	NoticeWriter

	// KeyGet returns key keyID of account accountID; ErrNotFound if there
	// is no such key or it belongs to another account. Like AccountGet it
	// locks what it reads (the key row) until the transaction ends.
	KeyGet(ctx context.Context, tenant string, accountID, keyID uuid.UUID) (apikey.Key, error)
	KeyList(ctx context.Context, tenant string, accountID uuid.UUID) ([]apikey.Key, error)

	// PermissionGet returns permission permissionID of account accountID;
	// ErrNotFound if there is no such permission or it belongs to another
	// account.
	PermissionGet(ctx context.Context, tenant string, accountID, permissionID uuid.UUID) (permission.Permission, error)
	PermissionList(ctx context.Context, tenant string, accountID uuid.UUID) ([]permission.Permission, error)

	PolicyStore
}

// AccountReader reads service accounts.
type AccountReader interface {
	// AccountGet returns the account with id, or ErrNotFound.
	AccountGet(ctx context.Context, tenant string, id uuid.UUID) (Account, error)

	// AccountList returns up to limit accounts in creation order (ascending
	// id; ids are UUIDv7 and so sort by creation time), starting after
	// after (uuid.Nil: from the first). The order is stable across calls,
	// so a cursor made of the last id of a page never skips or repeats an
	// account that existed during the whole walk. An empty slice (not an
	// error) past the end. A limit below 1 is an error (a caller's bug),
	// never an empty page.
	AccountList(ctx context.Context, tenant string, after uuid.UUID, limit int) ([]Account, error)

	// AccountSearch is AccountList over the accounts whose label holds
	// label as a substring, ignoring case, so that a page of a search is
	// as full as a page of the list and the same cursor walks it. label
	// is matched literally ("%" and "_" are no wildcards) and is not
	// empty. Case is folded as the backend's lower() does: Unicode in
	// memory, PostgreSQL and MySQL, ASCII only in SQLite.
	AccountSearch(ctx context.Context, tenant, label string, after uuid.UUID, limit int) ([]Account, error)
}

// AccountWriter changes service accounts, inside a [Tx].
type AccountWriter interface {
	// AccountCreate inserts a in tenant, which a.Tenant must equal (or
	// be empty: the stored account's Tenant is tenant). ErrConflict if an
	// account with a.ID exists, in any tenant.
	AccountCreate(ctx context.Context, tenant string, a Account) error

	// AccountUpdate sets the label, description, DisabledAt, Metadata and
	// UpdatedAt of the account p.ID (all of them: read the account first
	// to keep one) and returns the account as stored. ErrNotFound if it does not
	// exist. CreatedAt is never changed.
	AccountUpdate(ctx context.Context, tenant string, p AccountUpdateParams) (Account, error)

	// AccountDelete deletes the account with id together with all its keys
	// and permissions. ErrNotFound if the account does not exist (and then
	// nothing is deleted). A key or permission inserted concurrently for
	// the account either is deleted with it or fails with ErrNotFound: no
	// row outlives its account.
	AccountDelete(ctx context.Context, tenant string, id uuid.UUID) error
}

// KeyReader reads API keys, by hash only.
type KeyReader interface {
	// KeyList returns the keys of an account in creation order. ErrNotFound
	// if the account does not exist; an empty slice if it has no keys.
	KeyList(ctx context.Context, tenant string, accountID uuid.UUID) ([]apikey.Key, error)

	// KeyByHash returns what authentication needs for the key whose hash is
	// h: the key, its account and all the account's permissions (in creation
	// order). ErrNotFound if no key has that hash. Expired keys are returned
	// like any other: the caller checks expiry against its own clock, on
	// every request, cached or not. SQL backends document how many round
	// trips this takes; it is never one per permission.
	KeyByHash(ctx context.Context, h apikey.Hash) (Credential, error)

	// KeyListAll returns up to limit keys of all the tenant's accounts in id order
	// (creation order), starting after after (uuid.Nil: from the first),
	// that pass every filter f sets; disabled, expired and replaced keys
	// are listed like any other unless a filter leaves them out. A cursor
	// made of the last id of a page never skips or repeats a key that
	// existed during the whole walk. An empty slice past the end; a limit
	// below 1 is an error.
	KeyListAll(ctx context.Context, tenant string, after uuid.UUID, limit int, f KeyFilter) ([]apikey.Key, error)
}

// KeyWriter changes API keys, inside a [Tx].
type KeyWriter interface {
	// KeyCreate inserts k, restrictions included. ErrNotFound if k.AccountID does not exist;
	// ErrConflict if k.ID or k.Hash exists already.
	KeyCreate(ctx context.Context, tenant string, k apikey.Key) error

	// KeyUpdate sets the name, ExpiresAt, DisabledAt, ReplacedBy and the
	// restrictions (Scopes, AllowedCIDRs, RateLimit, Metadata) of key
	// p.KeyID of account p.AccountID (all of them: read the key first to
	// keep one) and returns the key as stored. ErrNotFound if there is no
	// such key or it belongs to another account. The id, hash, hint,
	// CreatedAt and LastUsedAt are never changed here.
	KeyUpdate(ctx context.Context, tenant string, p KeyUpdateParams) (apikey.Key, error)

	// KeyDelete deletes key keyID of account accountID. ErrNotFound if there
	// is no such key or it belongs to another account (and then nothing is
	// deleted).
	KeyDelete(ctx context.Context, tenant string, accountID, keyID uuid.UUID) error
}

// PermissionReader reads permissions.
type PermissionReader interface {
	// PermissionList returns the permissions of an account in creation
	// order. ErrNotFound if the account does not exist; an empty slice if
	// it has none.
	PermissionList(ctx context.Context, tenant string, accountID uuid.UUID) ([]permission.Permission, error)
}

// PermissionWriter changes permissions, inside a [Tx].
type PermissionWriter interface {
	// PermissionCreate inserts p. ErrNotFound if p.AccountID does not
	// exist; ErrConflict if p.ID exists, or if the account already holds
	// the same grant: the same resource type, resource key and action and
	// a limiter with the same [limiter.Limiter.GrantForm] ("x" and ["x"]
	// are one grant). The store decides this with a uniqueness rule, not a
	// read before the write, so two identical concurrent grants cannot
	// both succeed.
	PermissionCreate(ctx context.Context, tenant string, p permission.Permission) error

	// PermissionUpdateLimiter replaces the limiter of permission
	// p.PermissionID of account p.AccountID (nil removes it) and returns the
	// permission as stored. ErrNotFound if there is no such permission or
	// it belongs to another account; ErrConflict if the account holds
	// another permission that the new limiter would make identical.
	PermissionUpdateLimiter(ctx context.Context, tenant string, p PermissionUpdateLimiterParams) (permission.Permission, error)

	// PermissionDelete deletes permission permissionID of account accountID.
	// ErrNotFound if there is no such permission or it belongs to another
	// account.
	PermissionDelete(ctx context.Context, tenant string, accountID, permissionID uuid.UUID) error
}

// AccountUpdateParams are the inputs of AccountUpdate.
type AccountUpdateParams struct {
	ID          uuid.UUID
	Label       string
	Description string
	DisabledAt  *time.Time // nil: enabled
	UpdatedAt   time.Time
	Metadata    metadata.Map // nil: none
}

// KeyUpdateParams are the inputs of KeyUpdate: the key's mutable fields,
// all written.
type KeyUpdateParams struct {
	AccountID  uuid.UUID
	KeyID      uuid.UUID
	Name       string
	ExpiresAt  *time.Time
	DisabledAt *time.Time
	ReplacedBy *uuid.UUID
	// The restrictions, as apikey.Key documents them; nil removes one.
	Scopes       []apikey.Scope
	AllowedCIDRs []netip.Prefix
	RateLimit    *apikey.RateLimit
	Metadata     metadata.Map
}

// KeyFilter selects keys by time for KeyListAll. The filters are optional
// (nil: not applied) and ANDed; the zero value keeps every key.
type KeyFilter struct {
	// ExpiresAfter and ExpiresBy, set together (one alone is an error),
	// keep keys whose expiry lies in (ExpiresAfter, ExpiresBy]: with
	// ExpiresAfter = now, the keys not yet expired that expire by
	// ExpiresBy. A key without expiry never passes.
	ExpiresAfter *time.Time
	ExpiresBy    *time.Time
	// UnusedSince, when set, keeps keys last used before it, and keys
	// never used that were created before it.
	UnusedSince *time.Time
}

// PermissionUpdateLimiterParams are the inputs of PermissionUpdateLimiter.
type PermissionUpdateLimiterParams struct {
	AccountID    uuid.UUID
	PermissionID uuid.UUID
	Limiter      *limiter.Limiter // nil removes the limiter
}

// KeyTouch says that key KeyID was used at UsedAt.
type KeyTouch struct {
	KeyID  uuid.UUID
	UsedAt time.Time
}

// Credential is what authenticating one key needs, loaded in one call.
type Credential struct {
	Key         apikey.Key
	Account     Account
	Permissions []permission.Permission
}

// KeyPasses reports whether k passes the filters of p: the reference for
// backends that filter in Go, and for tests.
func KeyPasses(k apikey.Key, p KeyFilter) bool {
	if p.ExpiresAfter != nil || p.ExpiresBy != nil {
		if k.ExpiresAt == nil ||
			(p.ExpiresAfter != nil && !k.ExpiresAt.After(*p.ExpiresAfter)) ||
			(p.ExpiresBy != nil && k.ExpiresAt.After(*p.ExpiresBy)) {
			return false
		}
	}
	if p.UnusedSince != nil {
		if k.LastUsedAt != nil {
			return k.LastUsedAt.Before(*p.UnusedSince)
		}
		return k.CreatedAt.Before(*p.UnusedSince)
	}
	return true
}
