// Package middleware_test holds the middleware's SQLite benchmarks, out
// of middleware's own tests so that they import no driver (the memory
// ones stay in middleware/bench_test.go). The helpers are copies of that
// file's.
package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite" // sqlite: URLs
)

// discardWriter is the cheapest ResponseWriter: httptest.ResponseRecorder
// allocates a buffer and a header map per response, which would be
// measured as the middleware's cost.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// benchSetup is one account holding study/tekenradar/get-responses limited
// to surveys s1 and s2, and one key of it.
type benchSetup struct {
	mgr *serviceaccount.Manager
	key string
}

func newBenchSetup(b *testing.B, st store.Store) benchSetup {
	b.Helper()
	ctx := context.Background()
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clockwork.NewRealClock()})
	if err != nil {
		b.Fatal(err)
	}
	acct := benchAccount(b, mgr)
	k, err := mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	if err != nil {
		b.Fatal(err)
	}
	return benchSetup{mgr: mgr, key: k.Plaintext}
}

// benchAccount creates the benchmarks' account: it holds
// study/tekenradar/get-responses limited to surveys s1 and s2.
func benchAccount(b *testing.B, mgr *serviceaccount.Manager) serviceaccount.Account {
	b.Helper()
	ctx := context.Background()
	acct, err := mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := mgr.AddPermission(ctx, acct.ID, serviceaccount.PermissionInput{
		ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses",
		Limiter: []byte(`[{"surveyKey":["s1","s2"]}]`),
	}); err != nil {
		b.Fatal(err)
	}
	return acct
}

// benchChain is the route the benchmarks serve: Authenticate, then
// Require with the study key from the path and the survey from the query,
// then a handler that reads the principal and runs also, if given.
func benchChain(b *testing.B, mw *middleware.Middleware, also ...func(*http.Request, middleware.Principal)) http.Handler {
	final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := middleware.FromContext(r.Context())
		if !ok {
			b.Fatal("no principal")
		}
		for _, f := range also {
			f(r, p)
		}
		w.WriteHeader(http.StatusOK)
	})
	return mw.Authenticate(middleware.Require("study", middleware.PathValue("studyKey"), "get-responses", middleware.Attr("surveyKey", middleware.Query("surveyKey")))(final))
}

func benchRequest(key string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/v1/studies/tekenradar/responses?surveyKey=s1", nil)
	r.SetPathValue("studyKey", "tekenradar")
	r.Header.Set("Authorization", "Bearer "+key)
	return r
}

func serveBench(b *testing.B, h http.Handler, r *http.Request, want int) {
	b.Helper()
	w := &discardWriter{header: http.Header{}}
	h.ServeHTTP(w, r) // warm the cache outside the timed loop
	if w.status != want {
		b.Fatalf("status %d, want %d", w.status, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.status = 0
		h.ServeHTTP(w, r)
	}
	if w.status != want {
		b.Fatalf("status %d, want %d", w.status, want)
	}
}

// BenchmarkAuthenticateNoCacheSQLite is the reference system's way, for
// comparison: every request looks its key up in the database (SQLite in a
// file, WAL) and writes the key's last-use time before it is served.
func BenchmarkAuthenticateNoCacheSQLite(b *testing.B) {
	ctx := context.Background()
	db, err := sqlstore.OpenDB(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := sqlstore.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	st, err := sqlstore.New(db)
	if err != nil {
		b.Fatal(err)
	}
	s := newBenchSetup(b, st)
	mw, err := middleware.New(middleware.Config{Manager: s.mgr, DisableCache: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mw.Close(ctx) })
	// The reference writes the last use inside the request, synchronously;
	// this library never does (it coalesces), so the handler does it here.
	touch := func(r *http.Request, p middleware.Principal) {
		err := s.mgr.TouchKeys(r.Context(), []serviceaccount.KeyTouch{{KeyID: p.KeyID, UsedAt: time.Now()}})
		if err != nil {
			b.Fatal(err)
		}
	}
	serveBench(b, benchChain(b, mw, touch), benchRequest(s.key), http.StatusOK)
}

// BenchmarkRejectedKeys compares the refusals of a well-formed key: one
// never issued, one deleted, one expired (and, for reference, a disabled
// key). The first three must take the same path and about the same time,
// so that timing tells an attacker nothing about which keys once existed:
// each is one hash and one cache lookup when cached, and one store lookup
// by hash otherwise (SQLite here, the heaviest path).
func BenchmarkRejectedKeys(b *testing.B) {
	for _, mode := range []string{"uncached-sqlite"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			var st store.Store
			{
				db, err := sqlstore.OpenDB(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				if err := sqlstore.Migrate(ctx, db); err != nil {
					b.Fatal(err)
				}
				if st, err = sqlstore.New(db); err != nil {
					b.Fatal(err)
				}
			}
			clock := clockwork.NewFakeClock()
			mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clock})
			if err != nil {
				b.Fatal(err)
			}
			keys := rejectedKeys(b, mgr, clock)
			mw, err := middleware.New(middleware.Config{Manager: mgr, DisableCache: mode != "cached"})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { mw.Close(ctx) })
			h := benchChain(b, mw)
			for _, kind := range rejectedKinds {
				b.Run(kind, func(b *testing.B) {
					serveBench(b, h, benchRequest(keys[kind]), http.StatusUnauthorized)
				})
			}
			b.Run("interleaved", func(b *testing.B) { interleaved(b, h, keys) })
		})
	}
}

var rejectedKinds = []string{"unknown", "deleted", "expired", "disabled"}

// interleaved serves the kinds in turn and times each request, so that
// all of them meet the same load (the machine is shared, and a burst of
// other work during one sequential sub-benchmark would pass for a
// difference between kinds). It reports the median time of each kind
// (ns-<kind>) and each median over unknown's (x-<kind>): about 1 means
// timing tells the kinds apart no better than noise.
func interleaved(b *testing.B, h http.Handler, keys map[string]string) {
	reqs := make([]*http.Request, len(rejectedKinds))
	for i, kind := range rejectedKinds {
		reqs[i] = benchRequest(keys[kind])
	}
	w := &discardWriter{header: http.Header{}}
	for _, r := range reqs { // warm every cache entry
		h.ServeHTTP(w, r)
	}
	samples := make([][]time.Duration, len(reqs))
	for i := 0; b.Loop(); i++ {
		k := i % len(reqs)
		w.status = 0
		start := time.Now()
		h.ServeHTTP(w, reqs[k])
		samples[k] = append(samples[k], time.Since(start))
		if w.status != http.StatusUnauthorized {
			b.Fatalf("%s: status %d", rejectedKinds[k], w.status)
		}
	}
	medians := make([]float64, len(samples))
	for k, d := range samples {
		if len(d) == 0 {
			return
		}
		slices.Sort(d)
		medians[k] = float64(d[len(d)/2].Nanoseconds())
		b.ReportMetric(medians[k], "ns-"+rejectedKinds[k])
	}
	for k := 1; k < len(medians); k++ {
		b.ReportMetric(medians[k]/medians[0], "x-"+rejectedKinds[k])
	}
}

// rejectedKeys makes one key of each refused kind in mgr's store, on an
// account holding the benchmarks' permission (so that a found key loads a
// permission too).
func rejectedKeys(b *testing.B, mgr *serviceaccount.Manager, clock *clockwork.FakeClock) map[string]string {
	b.Helper()
	ctx := context.Background()
	acct := benchAccount(b, mgr)
	create := func(expiresAt *time.Time) serviceaccount.CreatedKey {
		k, err := mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{ExpiresAt: expiresAt})
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	expiresAt := clock.Now().Add(time.Hour)
	expired := create(&expiresAt)
	deleted := create(nil)
	if err := mgr.DeleteKey(ctx, acct.ID, deleted.Key.ID); err != nil {
		b.Fatal(err)
	}
	disabled := create(nil)
	yes := true
	if _, err := mgr.PatchKey(ctx, acct.ID, disabled.Key.ID, serviceaccount.KeyPatch{Disabled: &yes}); err != nil {
		b.Fatal(err)
	}
	unknown, err := apikey.Generate(mgr.KeyPrefix())
	if err != nil {
		b.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	return map[string]string{"unknown": unknown, "deleted": deleted.Plaintext, "expired": expired.Plaintext, "disabled": disabled.Plaintext}
}
