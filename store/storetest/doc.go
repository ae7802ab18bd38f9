// Package storetest is the conformance suite of store.Store: every
// behaviour of the contract is a named subtest, and every backend passes
// the same suite.
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			return memstore.New()
//		})
//	}
//
// newStore is called once per subtest and must return an empty store
// isolated from all others (the subtests run in parallel). Use t.Cleanup
// to release it.
package storetest
