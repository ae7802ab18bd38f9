package serviceaccount

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// LeakedKeyAction is what happens to a key reported leaked: a tenant's
// policy names one (JSON "leakedKeyAction"), and a caller of
// ReportLeakedKey may name one for a single report.
type LeakedKeyAction string

// The actions on a leaked key.
const (
	// LeakedKeyDisable disables the key: it stops authenticating at once,
	// and stays listed so that an administrator sees what leaked and can
	// replace it. The default.
	LeakedKeyDisable LeakedKeyAction = "disable"
	// LeakedKeyDelete deletes the key.
	LeakedKeyDelete LeakedKeyAction = "delete"
)

// Valid reports whether a is one of the actions above.
func (a LeakedKeyAction) Valid() bool { return a == LeakedKeyDisable || a == LeakedKeyDelete }

// SecretScanningActorID is the actor of a leak report's audit event when
// the context carries none (see WithActor): the scanner, not an
// administrator, made the change.
const SecretScanningActorID = "secret-scanning"

// Bounds on what a key.leaked event keeps of a report, in characters.
// The sender signs its reports, but the event must stay small and
// storable whatever a report holds.
const (
	MaxLeakURLLength    = 2048
	MaxLeakSourceLength = 100
)

// LeakReport says where a leaked key was found, as a secret scanner
// reports it, and what to do about it.
type LeakReport struct {
	// URL is where the key was found (a commit, an issue comment…).
	URL string
	// Source names the kind of place ("content", "commit", "npm"…).
	Source string
	// Action overrides the key's tenant's policy for this report; ""
	// follows the policy (LeakedKeyDisable until a tenant's policy
	// says otherwise).
	Action LeakedKeyAction
}

// LeakOutcome is what ReportLeakedKey found and did.
type LeakOutcome struct {
	// TruePositive is true when the token is one of our keys, whatever
	// its state (disabled, expired, replaced by rotation included).
	TruePositive bool
	// Tenant, AccountID and KeyID name the key; empty for a false
	// positive.
	Tenant    string
	AccountID uuid.UUID
	KeyID     uuid.UUID
	// Taken is what this report did to the key: LeakedKeyDisable,
	// LeakedKeyDelete, or "" when it changed nothing (a false positive,
	// or a key already disabled with LeakedKeyDisable).
	Taken LeakedKeyAction
}

// The labels of a leak report's answer, as GitHub's secret scanning
// partner format names them.
const (
	LabelTruePositive  = "true_positive"
	LabelFalsePositive = "false_positive"
)

// Label is o as a secret scanner's answer says it: LabelTruePositive or
// LabelFalsePositive.
func (o LeakOutcome) Label() string {
	if o.TruePositive {
		return LabelTruePositive
	}
	return LabelFalsePositive
}

// ReportLeakedKey handles one key that a secret scanner found in public:
// given the token as found, it disables the key (or deletes it, by
// r.Action or the key's tenant's policy) and writes audit event
// key.leaked, in one unit of work, so that the key stops authenticating
// in every middleware subscribed to this Manager before it returns.
//
// Keys are global, so the report acts in the key's own tenant whichever
// tenant view m is. A token that fails the key format's checks (prefix,
// length, checksum) is a false positive without a store call; so is one
// that names no stored key. A key that is already disabled is a true
// positive and, with LeakedKeyDisable, changes nothing and writes no
// event: the key is already harmless, and scanners report one key once
// per place it appears and again after a failed answer, which must not
// flood the audit log. Enabling the key again and having it reported
// again disables it again.
//
// The event's actor is the context's (WithActor), else
// SecretScanningActorID; its target is the key; its details are the key
// before and after (null after a delete) and, under "report", the
// report's url and source (cut to MaxLeakURLLength and
// MaxLeakSourceLength characters, with what the log refuses replaced
// like FitActorText does). Neither the token nor its hash is ever
// recorded, logged or put in an error.
//
// ReportLeakedKey is idempotent, as a secret scanner retrying a report
// needs: a second call for the same key finds it disabled (or gone).
func (m *Manager) ReportLeakedKey(ctx context.Context, token string, r LeakReport) (LeakOutcome, error) {
	if r.Action != "" && !r.Action.Valid() {
		return LeakOutcome{}, invalid("action", fmt.Sprintf("must be %q or %q", LeakedKeyDisable, LeakedKeyDelete))
	}
	if apikey.Parse(token, m.keyPrefix) != nil {
		return LeakOutcome{}, nil // not our format: no store call for garbage
	}
	c, err := m.store.KeyByHash(ctx, apikey.HashKey(token))
	if errors.Is(err, store.ErrNotFound) {
		return LeakOutcome{}, nil
	}
	if err != nil {
		return LeakOutcome{}, fmt.Errorf("report a leaked key: look up the key: %w", err)
	}
	tenant := c.Account.Tenant
	if tenant == "" {
		tenant = store.DefaultTenant
	}
	tm, err := m.Tenant(tenant)
	if err != nil {
		return LeakOutcome{}, fmt.Errorf("report leaked key %s: %w", c.Key.ID, err)
	}
	action := r.Action
	if action == "" {
		if action, err = tm.leakedKeyAction(ctx); err != nil {
			return LeakOutcome{}, fmt.Errorf("report leaked key %s: %w", c.Key.ID, err)
		}
	}
	if _, ok := ActorFrom(ctx); !ok {
		ctx = WithActor(ctx, Actor{ID: SecretScanningActorID})
	}
	out, err := tm.leak(ctx, c.Key.AccountID, c.Key.ID, r, action)
	if err != nil {
		return LeakOutcome{}, fmt.Errorf("report leaked key %s of account %s: %w", c.Key.ID, c.Key.AccountID, err)
	}
	return out, nil
}

// leakedKeyAction is what the tenant's effective policy says to do with
// a leaked key.
func (m *Manager) leakedKeyAction(ctx context.Context) (LeakedKeyAction, error) {
	p, _, err := m.EffectivePolicy(ctx)
	if err != nil {
		return "", err
	}
	if a := LeakedKeyAction(p.LeakedKeyAction); a.Valid() {
		return a, nil
	}
	return LeakedKeyDisable, nil
}

// leak applies action to key keyID of account accountID in m's tenant,
// in one unit of work. A key gone since the lookup is a false positive,
// as it would have been a moment later.
func (m *Manager) leak(ctx context.Context, accountID, keyID uuid.UUID, r LeakReport, action LeakedKeyAction) (LeakOutcome, error) {
	var out LeakOutcome
	err := m.write(ctx, func(ctx context.Context, u *unit) error {
		out = LeakOutcome{}
		current, err := u.KeyGet(ctx, u.tenant, accountID, keyID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		out = LeakOutcome{TruePositive: true, Tenant: m.tenant, AccountID: accountID, KeyID: keyID}
		details := AuditDetails{Before: auditKey(current), Report: map[string]any{
			"url":    FitActorText(r.URL, MaxLeakURLLength),
			"source": FitActorText(r.Source, MaxLeakSourceLength),
		}}
		switch {
		case action == LeakedKeyDelete:
			if err := u.KeyDelete(ctx, u.tenant, accountID, keyID); err != nil {
				return err
			}
			u.changed(Change{Kind: KeyDeleted, AccountID: accountID, KeyID: keyID})
		case current.Disabled():
			return nil // already harmless: nothing to change or record
		default:
			now := m.now()
			after, err := u.KeyUpdate(ctx, u.tenant, store.KeyUpdateParams{AccountID: accountID, KeyID: keyID, Name: current.Name,
				ExpiresAt: current.ExpiresAt, DisabledAt: &now, ReplacedBy: current.ReplacedBy})
			if err != nil {
				return err
			}
			details.After = auditKey(after)
			u.changed(Change{Kind: KeyDisabled, AccountID: accountID, KeyID: keyID})
		}
		out.Taken = action
		u.auditedDetails(store.ActionKeyLeaked, accountID, &keyID, details)
		return nil
	})
	if err != nil {
		return LeakOutcome{}, err
	}
	return out, nil
}
