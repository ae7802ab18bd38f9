package middleware

import (
	"context"
	"net/http"
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// BenchmarkAuthenticateWarmUnknownKeyLimit is Warm with the bound on
// unknown-key lookups turned on: a cached key never consults it, so it
// must cost what Warm costs.
func BenchmarkAuthenticateWarmUnknownKeyLimit(b *testing.B) {
	s := newBenchSetup(b, memstore.New())
	mw, err := New(Config{Manager: s.mgr, UnknownKeyLimit: UnknownKeyLimit{Lookups: 10}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mw.Close(context.Background()) })
	serveBench(b, benchChain(b, mw), benchRequest(s.key), http.StatusOK)
}
