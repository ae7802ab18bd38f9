// Package serviceaccount gives an application service accounts: identities
// for machine-to-machine integrations (data pipelines, API integrations,
// scheduled jobs, monitoring, CI/CD), each with API keys and permissions.
//
// # Manager
//
// Every change goes through a Manager: it validates input, generates ids and
// keys, stamps times from its clock, writes through a Store, and tells
// subscribers (the middleware's cache) what changed so that a revoked key
// stops working on the very next request. The plaintext of a key exists
// only in the result of CreateKey; the store keeps its SHA-256 hash.
//
// # One unit of work per change
//
// Each Manager method that changes something runs as one store
// transaction (Store.InTx): the change and everything recorded with it
// are committed together or not at all, and subscribers hear of it only
// after the commit. A failure anywhere rolls everything back, so a
// refused change (a validation error, a grant already held, an account
// that does not exist) leaves the store exactly as it was. Uniqueness
// rules are the store's (a unique index), never a read before the write,
// so two identical concurrent grants cannot both succeed: one gets a
// *ConflictError.
//
// # Key and account lifecycle
//
// A key has a name (which integration uses it), may be disabled and enabled
// again (PatchKey), and may be rotated (RotateKey): one transaction creates
// the new key and shortens the old one's life to a grace period, naming the
// new key in its ReplacedBy. An account may be disabled too (PatchAccount);
// none of its keys authenticates until it is enabled. Policy caps an
// account's unexpired keys and keys' lifetimes and rotation graces;
// ListAllKeys is the hygiene list (keys expiring soon, keys unused for long)
// across all accounts. Where the design left a choice open:
//
//   - a rotation's new key inherits the old key's lifetime (expiry minus
//     creation) counted from now, capped at MaxKeyLifetime; a key that never
//     expired is replaced by one that never expires unless the policy needs
//     an expiry;
//   - a disabled account may be given and rotate keys; they work once it is
//     enabled; a replaced key may be disabled and enabled, and still expires
//     at the end of its grace;
//   - disabling what is disabled keeps the first time, and a patch that
//     changes nothing writes and announces nothing;
//   - the checks that read before writing (the key cap, a rotation's state)
//     run with the account or key row locked, so concurrent changes
//     serialize instead of both passing.
//
// # Audit log
//
// Every change writes exactly one AuditEvent in its own transaction, so an
// event exists if and only if its change was committed; a rejected or
// failed change writes none, and events outlive the account they name.
// The event's actor is the one WithActor put in the context (nil when
// there is none): the application, which knows its administrators, says
// who acts. An actor outside the limits of Actor refuses the change before
// anything is written. Details hold the record before and after (see
// AuditDetails), never a key, a key hash or a token. ListAuditEvents
// filters by account, action, actor and time, newest first;
// PruneAuditEvents applies a retention.
//
// # Store
//
// The persistence contract, store.Store, lives in package store, with the
// records it shares with its backends (Account, AuditEvent, Credential…;
// this package aliases the ones its callers name). Backends:
// store/memstore (in memory) and store/sqlstore (SQLite, PostgreSQL,
// MySQL/MariaDB through bun). store/storetest is the conformance suite
// every backend passes. Store and Tx grow with the library: implement them
// only against storetest (see store.Store).
package serviceaccount
