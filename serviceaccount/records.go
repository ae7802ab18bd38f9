package serviceaccount

import "github.com/seed-c7fc2061/serviceaccounts/store"

// The records an application handles through the Manager are package
// store's, shared with the backends; these aliases let application code
// name them from here, as it did before they moved.
type (
	// Account is a service account: an identity not tied to a person.
	Account = store.Account
	// Actor is who made a change (see WithActor).
	Actor = store.Actor
	// AuditAction names what an audit event records (store.ActionKeyCreate…).
	AuditAction = store.AuditAction
	// AuditEvent records one change made through a Manager.
	AuditEvent = store.AuditEvent
	// Credential is what authenticating one key needs (see LookupKey).
	Credential = store.Credential
	// KeyTouch says that a key was used at a time (see TouchKeys).
	KeyTouch = store.KeyTouch
)
