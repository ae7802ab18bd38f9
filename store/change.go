package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// ChangeKind says what a change-log row is about.
type ChangeKind string

// The kinds of change. A row of an unknown kind (written by a newer
// version) is treated by readers as "anything may have changed".
const (
	// ChangeAccount: account AccountID changed (or its keys or
	// permissions).
	ChangeAccount ChangeKind = "account"
	// ChangePolicy: the stored policy of Tenant changed, or the default
	// policy when Tenant is "".
	ChangePolicy ChangeKind = "policy"
)

// RecordedChange is one row of the change log: the account a committed
// change affected, or the policy. Instances sharing a database read the log to drop what
// they cached of that account (see package changefeed).
type RecordedChange struct {
	// ID is the change's position in the log. IDs are taken in commit
	// order and leave no gaps: change n+1 takes its id only once change n
	// has committed, and a rolled-back change leaves no hole. A reader
	// that has seen every id up to h and is shown an id above h+1 knows
	// that the ones between were pruned, or are committed but not yet
	// visible to it: InnoDB lets the next change read the head (a locking
	// read) a moment before change n is visible to plain reads, and that
	// next change may become visible first. Reading again a moment later
	// tells the two apart (package changefeed waits 100 ms).
	ID int64
	// Kind is what changed; ChangeAccount for rows written before kinds
	// existed.
	Kind ChangeKind
	// Tenant is the tenant the change was made in ("" for a change of
	// the default policy).
	Tenant     string
	AccountID  uuid.UUID // uuid.Nil unless Kind is ChangeAccount
	RecordedAt time.Time
	// Own is true for a change recorded through the same Store value that
	// lists it (this instance's own change), so that a feed can count
	// only other instances' changes. Backends that cannot tell (a memory
	// store, which only one process reaches) leave it false.
	Own bool
}

// ChangeRecordParams are the inputs of ChangeRecord.
type ChangeRecordParams struct {
	// Kind is what changed; "" means ChangeAccount.
	Kind      ChangeKind
	AccountID uuid.UUID
	// RecordedAt is the Manager's clock; pruning compares it with the
	// pruning instance's clock, so clocks may differ by far less than the
	// retention window.
	RecordedAt time.Time
}

// ChangeListParams are the inputs of ChangeList.
type ChangeListParams struct {
	After int64 // the last id the caller has seen; 0 before the first
	Limit int
}

// ChangePage is one read of the change log.
type ChangePage struct {
	// Head is the id of the latest committed change when the log was read
	// (0 when none was ever recorded), read in the same snapshot as
	// Changes: an id from After+1 to Head that is not in Changes (when
	// fewer than Limit were returned) has been pruned, or (MySQL) its
	// commit is becoming visible; see RecordedChange.ID.
	Head    int64
	Changes []RecordedChange
}

// ChangeRecorder is the part of a [Tx] that writes the change log.
type ChangeRecorder interface {
	// ChangeRecord appends a change of account p.AccountID to the log, in
	// the transaction: it is committed with the change or not at all. Its
	// id is taken when ChangeRecord runs, and the transaction holds the
	// log's head until it ends, so ids are taken in commit order (SQL
	// backends serialize the end of concurrent changes on one row: call
	// it last in the transaction, just before the commit). On PostgreSQL
	// it also sends a notification, delivered at commit, that wakes
	// listening instances (see [ChangeListener]).
	// tenant is the tenant of the change; "" only for a change of the
	// default policy.
	ChangeRecord(ctx context.Context, tenant string, p ChangeRecordParams) error
}

// ChangeReader reads and prunes the change log. It is part of every
// [Store].
type ChangeReader interface {
	// ChangeHead returns the id of the latest committed change, 0 if none
	// was ever recorded (pruning does not lower it).
	ChangeHead(ctx context.Context) (int64, error)

	// ChangeList returns up to p.Limit changes with ids above p.After, in
	// id order, and the head, in one snapshot. One indexed range read,
	// whatever the number of keys and accounts. A p.Limit below 1 is an
	// error.
	ChangeList(ctx context.Context, p ChangeListParams) (ChangePage, error)

	// ChangePrune deletes changes recorded before before, at most a few
	// thousand per call, and returns how many it deleted. Several
	// instances may prune at once without waiting for one another: rows
	// another pruner holds are skipped, left for its delete.
	ChangePrune(ctx context.Context, before time.Time) (int64, error)
}

// ChangeListener is implemented by a change log that can also push: a
// PostgreSQL store LISTENs for the notification ChangeRecord sends. It is
// only ever a hint that wakes a poll; the poll is what makes a reader
// correct.
type ChangeListener interface {
	// ChangeListen holds one connection of its own, listens, calls
	// p.Listening once listening (a caller polls then, to catch up with
	// what it could not hear before), and p.Notify with the id of each
	// change notified; a payload that is not a change id of this log is
	// counted through p.Malformed and otherwise ignored. It returns when
	// ctx ends (ctx's error) or the connection fails (that error, after
	// discarding the connection). Callbacks run in ChangeListen's
	// goroutine and must not block.
	ChangeListen(ctx context.Context, p ChangeListenParams) error
}

// ChangeListenParams are the callbacks of ChangeListen.
type ChangeListenParams struct {
	Listening func()
	Notify    func(id int64)
	Malformed func()
}

// ChangeSubscriber is told which cached accounts to drop: the one shape
// in which change notices reach a cache, whether they come from the
// Manager in this process or from the change log (package changefeed).
// Both methods run in the notifier's goroutine and must be quick.
type ChangeSubscriber interface {
	// AccountChanged says that account id changed: drop what is cached of
	// it. It is a hint to drop, never proof of a change.
	AccountChanged(id uuid.UUID)
	// AllChanged says that changes may have been missed: drop everything.
	AllChanged()
}

// PolicySubscriber is a ChangeSubscriber that also caches policies: it is
// told of a stored policy's change (tenant "" for the default policy)
// through PolicyChanged. A subscriber without it is not told of policy
// changes, which do not touch accounts.
type PolicySubscriber interface {
	PolicyChanged(tenant string)
}
