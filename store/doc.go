// Package store is the contract between the service and its backends, as
// database/sql/driver is for database/sql: what a backend implements
// (Store, Tx and the role interfaces they join), the parameters of their
// methods, the records both sides share (Account, AuditEvent, Credential,
// RecordedChange…), and the sentinels ErrNotFound and ErrConflict, so that
// callers tell "no such row" and "already exists" apart from a system
// failure with errors.Is, whatever the backend.
//
// Backends (store/memstore, store/sqlstore), the conformance suite
// (store/storetest) and the change feed (changefeed) import this package
// and never package serviceaccount, the service that applications call;
// serviceaccount aliases the few records its callers name.
package store
