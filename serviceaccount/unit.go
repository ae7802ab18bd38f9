package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// unit is one change in progress: the store's transaction, the Changes it
// made, to be announced once it has committed, and what its audit event
// says.
type unit struct {
	store.Tx
	tenant  string // the Manager view's tenant, for every call through Tx
	changes []Change
	audits  []pendingAudit
}

// pendingAudit is what fn says of its change; write turns it into the
// AuditEvent.
type pendingAudit struct {
	action    AuditAction
	accountID uuid.UUID
	targetID  *uuid.UUID
	details   AuditDetails
}

// audited says what the change's audit event records: every change that
// writes calls it exactly once, after its writes succeeded. before is nil
// for a create, after nil for a delete.
func (u *unit) audited(action AuditAction, accountID uuid.UUID, targetID *uuid.UUID, before, after map[string]any) {
	u.auditedDetails(action, accountID, targetID, AuditDetails{Before: before, After: after})
}

func (u *unit) auditedDetails(action AuditAction, accountID uuid.UUID, targetID *uuid.UUID, d AuditDetails) {
	u.audits = append(u.audits, pendingAudit{action, accountID, targetID, d})
}

// errAuditMissing is a Manager bug: a change that did not say what its
// audit event records is refused rather than made unrecorded.
var errAuditMissing = errors.New("serviceaccount: internal error: a change did not record exactly one audit event; nothing was written")

// auditOf returns the one event fn described; none when fn changed
// nothing (a patch to the current values writes and announces nothing).
func (u *unit) auditOf() (*pendingAudit, error) {
	switch {
	case len(u.audits) == 1:
		return &u.audits[0], nil
	case len(u.audits) == 0 && len(u.changes) == 0:
		return nil, nil
	}
	return nil, errAuditMissing
}

// changed records c, to be announced after the commit.
func (u *unit) changed(c Change) {
	if c.Kind != PolicyUpdated {
		c.Tenant = u.tenant
	}
	u.changes = append(u.changes, c)
}

// write is the one way the Manager changes anything: it runs fn in one
// store transaction (Store.InTx) and, only after the commit, tells the
// subscribers what fn recorded with unit.changed. A failure anywhere, in
// fn or at the commit, rolls everything back.
//
// This is the single choke point for everything that must be written
// with a change: records that belong to the change (an audit event, a
// change-feed row) are written here, through u, after fn and inside the
// same transaction, so that they are committed with it or not at all.
// The audit event carries the actor of ctx (WithActor), which is checked
// before the transaction begins; fn describes the event with u.audited,
// exactly once, and a change that does not is refused.
//
// fn may run more than once (InTx retries a transaction that lost a race),
// so it must only write through u and set its results afresh each time.
//
// When the commit itself fails with a system error, the change may have
// committed all the same (the answer was lost): the Changes of fn's last
// successful run are then announced anyway, because subscribers treat a
// Change as "drop what you cached", and a needless drop costs one lookup
// while a missed one would keep a revoked key working until the cache TTL.
func (m *Manager) write(ctx context.Context, fn func(ctx context.Context, u *unit) error) error {
	if err := checkActor(ctx); err != nil {
		return err // before the transaction: rejected input writes nothing
	}
	var done []Change // the changes of fn's last successful run
	enqueued := false // whether it wrote webhook deliveries
	err := m.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		done, enqueued = nil, false
		u := &unit{Tx: tx, tenant: m.tenant}
		if err := fn(ctx, u); err != nil {
			return err
		}
		a, err := u.auditOf()
		if err != nil {
			return err
		}
		if a != nil {
			e, err := m.newAuditEvent(ctx, a.action, a.accountID, a.targetID, a.details)
			if err != nil {
				return err
			}
			if err := tx.AuditAppend(ctx, m.tenant, e); err != nil {
				return fmt.Errorf("write the audit event: %w", err)
			}
			// The event's webhook deliveries, in the same transaction.
			if enqueued, err = m.enqueueAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		// Last, just before the commit: recording takes the change log's
		// head, which concurrent changes then wait for until this commit.
		if err := m.recordChanges(ctx, u); err != nil {
			return err
		}
		done = u.changes
		return nil
	})
	if enqueued && err == nil {
		m.signalOutbox()
	}
	if err != nil && (done == nil || definite(err)) {
		return err
	}
	for _, c := range done {
		m.changes.notify(c)
	}
	return err
}

// definite reports errors that prove nothing was committed.
func definite(err error) bool {
	var verr *ValidationError
	return errors.As(err, &verr) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, ErrPreconditionFailed)
}

// recordChanges appends one change-log row per account that u changed, so
// that other instances sharing the store drop what they cached of it (see
// package changefeed).
func (m *Manager) recordChanges(ctx context.Context, u *unit) error {
	at := m.now()
	for i, c := range u.changes {
		if c.Kind == PolicyUpdated {
			if err := u.ChangeRecord(ctx, c.Tenant, store.ChangeRecordParams{Kind: store.ChangePolicy, RecordedAt: at}); err != nil {
				return err
			}
			continue
		}
		if slices.ContainsFunc(u.changes[:i], func(d Change) bool { return d.Kind != PolicyUpdated && d.AccountID == c.AccountID }) {
			continue // one row per account is enough
		}
		if err := u.ChangeRecord(ctx, m.tenant, store.ChangeRecordParams{AccountID: c.AccountID, RecordedAt: at}); err != nil {
			return err
		}
	}
	return nil
}
