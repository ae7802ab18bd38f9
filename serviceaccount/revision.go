package serviceaccount

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
)

// ErrPreconditionFailed is returned by a change made with a context from
// IfRevision when the record's revision is no longer the one given: the
// record was changed since the caller read it, and nothing was written.
var ErrPreconditionFailed = errors.New("serviceaccount: the record was changed since the given revision was read")

// Revisions identify the state of an account, key or permission, for
// optimistic concurrency (HTTP's ETag and If-Match). A revision is a
// digest of the fields that audited changes change, so it changes with
// every audited change of the record and never with a last-use flush: a
// key in use keeps its revision, and a client that read it can still
// change it. It is derived rather than stored, so that every store
// supports it without a schema change. A change that returns a record to
// an earlier state returns its earlier revision too, which is safe: the
// client that read that state sees it again.

// AccountRevision is the revision of a: its label, description,
// disabledAt, metadata and updatedAt.
func AccountRevision(a Account) string {
	fields := auditAccount(a)
	fields["id"] = a.ID.String()
	fields["updatedAt"] = auditTime(&a.UpdatedAt)
	return revisionOf(fields)
}

// KeyRevision is the revision of k: what a key's audit event shows (its
// name, expiry, disabledAt, replacement, restrictions and metadata),
// never its last use.
func KeyRevision(k apikey.Key) string {
	return revisionOf(auditKey(k))
}

// PermissionRevision is the revision of p: its tuple and limiter.
func PermissionRevision(p permission.Permission) string {
	return revisionOf(auditPermission(p))
}

// revisionOf digests fields (encoding/json sorts a map's keys, so the
// text is canonical) to 128 bits, URL-safe: enough that two states never
// share a revision by chance.
func revisionOf(fields map[string]any) string {
	b, err := json.Marshal(fields)
	if err != nil {
		panic("serviceaccount: revision of unmarshalable fields: " + err.Error()) // strings, times and limiters only
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

type ifRevisionKey struct{}

// IfRevision returns a context whose changes to an account, key or
// permission (update, patch, delete, limiter change; not creations or
// rotations) write only if the record's revision is still one of revs;
// otherwise the change fails with ErrPreconditionFailed and writes
// nothing. No revs means no revision matches. The comparison is made
// inside the change's transaction, after the record is read with a
// lock, so two changes made with the same revision cannot both succeed.
func IfRevision(ctx context.Context, revs ...string) context.Context {
	return context.WithValue(ctx, ifRevisionKey{}, slices.Clone(revs))
}

// checkRevision compares the revisions a context from IfRevision carries,
// if any, with current: the record as read in the change's transaction.
func checkRevision(ctx context.Context, current string) error {
	want, ok := ctx.Value(ifRevisionKey{}).([]string)
	if !ok || slices.Contains(want, current) {
		return nil
	}
	return ErrPreconditionFailed
}

// permissionForChange reads a permission to change it, after locking its
// account's row: the store's PermissionGet does not lock, and the
// account's lock (AccountGet in a transaction) serializes every change of
// the account's permissions, so that a revision compared here still
// holds when the change is written.
func (u *unit) permissionForChange(ctx context.Context, accountID, permissionID uuid.UUID) (permission.Permission, error) {
	if _, err := u.AccountGet(ctx, u.tenant, accountID); err != nil {
		return permission.Permission{}, err
	}
	p, err := u.PermissionGet(ctx, u.tenant, accountID, permissionID)
	if err != nil {
		return permission.Permission{}, err
	}
	return p, checkRevision(ctx, PermissionRevision(p))
}
