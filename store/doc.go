// Package store holds the sentinel errors that every serviceaccount.Store
// backend returns, so that callers can tell "no such row" and "already
// exists" apart from a system failure with errors.Is, whatever the backend.
//
// The Store interface itself lives in package serviceaccount, next to the
// Manager that consumes it: its methods speak of accounts, keys and
// permissions, and declaring it here would force an import cycle or a
// second copy of every record type.
package store
