// Package memstore is an in-memory store.Store: for tests, for
// demonstrations, and for applications whose accounts need not survive a
// restart. It honours the whole Store contract (store/storetest proves it)
// and is safe for concurrent use.
package memstore
