package middleware

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
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
func benchChain(b *testing.B, mw *Middleware, also ...func(*http.Request, Principal)) http.Handler {
	final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := FromContext(r.Context())
		if !ok {
			b.Fatal("no principal")
		}
		for _, f := range also {
			f(r, p)
		}
		w.WriteHeader(http.StatusOK)
	})
	return mw.Authenticate(Require("study", PathValue("studyKey"), "get-responses", Attr("surveyKey", Query("surveyKey")))(final))
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

// BenchmarkFloor is what any API-key check must do at least: read the
// header, SHA-256 the key, and one map lookup.
func BenchmarkFloor(b *testing.B) {
	key := strings.Repeat("k", 52)
	r := benchRequest(key)
	type principal struct{ id int }
	m := map[[sha256.Size]byte]*principal{sha256.Sum256([]byte(key)): {id: 1}}
	// apikey.HashKey is sha256.Sum256 over the string's bytes without the
	// copy that []byte(token) would allocate.
	b.ReportAllocs()
	for b.Loop() {
		h := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			b.Fatal("no bearer")
		}
		if m[apikey.HashKey(token)] == nil {
			b.Fatal("not found")
		}
	}
}

// BenchmarkFloorWithContext is the floor of any middleware that hands the
// principal to the handler in the request context: BenchmarkFloor plus
// context.WithValue and r.WithContext, the two allocations Warm makes. It
// is not one of the four; it shows how much of Warm the context
// alone costs on this machine.
func BenchmarkFloorWithContext(b *testing.B) {
	key := strings.Repeat("k", 52)
	r := benchRequest(key)
	type principal struct{ id int }
	m := map[[sha256.Size]byte]*principal{sha256.Sum256([]byte(key)): {id: 1}}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(ctxKey{}) == nil {
			b.Fatal("no principal")
		}
	})
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			b.Fatal("no bearer")
		}
		p := m[apikey.HashKey(token)]
		if p == nil {
			b.Fatal("not found")
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	}
}

// BenchmarkFloorWithPermission is the least a middleware can do to
// authorize Warm's route by hand: BenchmarkFloorWithContext plus the key's
// expiry (only when it has one), the path value, the first surveyKey of
// the query split on '&' and '=', and a scan of the principal's grants
// with the limiter's values. It has none of what Warm adds for safety and
// operations: no bounded cache (a map that grows and never goes stale), no
// cache age or invalidation, no refusal of a second credential header or
// of a query that url.ParseQuery would read differently, no use record, no
// metrics. It is a reference for the targets, not one of them: what the
// same permission check costs with nothing else.
func BenchmarkFloorWithPermission(b *testing.B) {
	key := strings.Repeat("k", 52)
	r := benchRequest(key)
	type grant struct {
		resourceType, resourceKey, action string
		surveys                           []string
	}
	type principal struct {
		expiresAt time.Time
		grants    []grant
	}
	// Copies, so that the comparisons below compare bytes, as they do
	// between a route's strings and strings read from a store.
	grants := []grant{{strings.Clone("study"), strings.Clone("tekenradar"), strings.Clone("get-responses"), []string{"s1", "s2"}}}
	m := map[[sha256.Size]byte]*principal{sha256.Sum256([]byte(key)): {grants: grants}}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(ctxKey{}) == nil {
			b.Fatal("no principal")
		}
	})
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			b.Fatal("no bearer")
		}
		p := m[apikey.HashKey(token)]
		if p == nil {
			b.Fatal("not found")
		}
		if !p.expiresAt.IsZero() && !time.Now().Before(p.expiresAt) {
			b.Fatal("expired")
		}
		study := r.PathValue("studyKey")
		var survey string
		for q := r.URL.RawQuery; q != ""; {
			var pair string
			pair, q, _ = strings.Cut(q, "&")
			if k, v, _ := strings.Cut(pair, "="); k == "surveyKey" {
				survey = v
				break
			}
		}
		allowed := false
		for _, g := range p.grants {
			if g.resourceType == "study" && g.resourceKey == study && g.action == "get-responses" && slices.Contains(g.surveys, survey) {
				allowed = true
				break
			}
		}
		if !allowed {
			b.Fatal("denied")
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	}
}

func BenchmarkAuthenticateWarm(b *testing.B) {
	s := newBenchSetup(b, memstore.New())
	mw, err := New(Config{Manager: s.mgr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mw.Close(context.Background()) })
	serveBench(b, benchChain(b, mw), benchRequest(s.key), http.StatusOK)
}

// BenchmarkProtectWarm is Warm through the copy-free API: Protect
// authenticates and authorizes in one handler and hands the principal to
// the handler as an argument, so the request is not copied.
func BenchmarkProtectWarm(b *testing.B) {
	s := newBenchSetup(b, memstore.New())
	mw, err := New(Config{Manager: s.mgr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mw.Close(context.Background()) })
	h := mw.Protect(Need("study", PathValue("studyKey"), "get-responses", Attr("surveyKey", Query("surveyKey"))),
		func(w http.ResponseWriter, r *http.Request, p Principal) {
			if p.Permissions == nil {
				b.Fatal("no principal")
			}
			w.WriteHeader(http.StatusOK)
		})
	serveBench(b, h, benchRequest(s.key), http.StatusOK)
}

// BenchmarkAuthenticateWarmMetrics is Warm with an OpenTelemetry SDK
// provider installed and a reader collecting from it, as in production.
func BenchmarkAuthenticateWarmMetrics(b *testing.B) {
	s := newBenchSetup(b, memstore.New())
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	b.Cleanup(func() { mp.Shutdown(context.Background()) })
	mw, err := New(Config{Manager: s.mgr, MeterProvider: mp})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mw.Close(context.Background()) })
	serveBench(b, benchChain(b, mw), benchRequest(s.key), http.StatusOK)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		b.Fatal(err)
	}
	if len(rm.ScopeMetrics) == 0 {
		b.Fatal("no metrics collected")
	}
}

func BenchmarkAuthenticateUnknownKey(b *testing.B) {
	s := newBenchSetup(b, memstore.New())
	mw, err := New(Config{Manager: s.mgr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mw.Close(context.Background()) })
	unknown, err := apikey.Generate(s.mgr.KeyPrefix())
	if err != nil {
		b.Fatal(err)
	}
	serveBench(b, benchChain(b, mw), benchRequest(unknown), http.StatusUnauthorized)
}

// BenchmarkRejectedKeys compares the refusals of a well-formed key: one
// never issued, one deleted, one expired (and, for reference, a disabled
// key). The first three must take the same path and about the same time,
// so that timing tells an attacker nothing about which keys once existed:
// each is one hash and one cache lookup when cached, and one store lookup
// by hash otherwise (SQLite, the heaviest path: its uncached-sqlite mode is
// in the bench module, bench/middleware).
func BenchmarkRejectedKeys(b *testing.B) {
	for _, mode := range []string{"cached"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			var st store.Store = memstore.New()
			clock := clockwork.NewFakeClock()
			mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Clock: clock})
			if err != nil {
				b.Fatal(err)
			}
			keys := rejectedKeys(b, mgr, clock)
			mw, err := New(Config{Manager: mgr, DisableCache: mode != "cached"})
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

// restrictBenchKey gives the setup's key every restriction, as the store
// holds them: four allowed networks (the request's, 192.0.2.1 from
// httptest, in the last), three scopes (the route's in the last) and a
// local rate limit that the loop never exhausts (a million a second).
func restrictBenchKey(b *testing.B, st *memstore.Store) {
	b.Helper()
	ctx := context.Background()
	// Read before the transaction, which holds the store's lock.
	keys, err := st.KeyListAll(ctx, store.DefaultTenant, uuid.Nil, 10, store.KeyFilter{})
	if err != nil || len(keys) != 1 {
		b.Fatalf("want one key, got %d (%v)", len(keys), err)
	}
	k := keys[0]
	err = st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		k.AllowedCIDRs = []netip.Prefix{
			netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
			netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("192.0.2.0/24"),
		}
		k.Scopes = []apikey.Scope{
			{ResourceType: "study", ResourceKey: "other", Action: "*"},
			{ResourceType: "report", ResourceKey: "*", Action: "*"},
			{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses"},
		}
		k.RateLimit = &apikey.RateLimit{Limit: 1_000_000, Period: time.Second}
		if err := tx.KeyDelete(ctx, store.DefaultTenant, k.AccountID, k.ID); err != nil {
			return err
		}
		return tx.KeyCreate(ctx, store.DefaultTenant, k)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAuthenticateWarmRestricted is Warm with a key that has allowed
// networks, scopes and a local rate limit: what the restrictions cost.
func BenchmarkAuthenticateWarmRestricted(b *testing.B) {
	st := memstore.New()
	s := newBenchSetup(b, st)
	restrictBenchKey(b, st)
	mw, err := New(Config{Manager: s.mgr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mw.Close(context.Background()) })
	h := mw.Authenticate(mw.Require("study", PathValue("studyKey"), "get-responses", Attr("surveyKey", Query("surveyKey")))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p, ok := FromContext(r.Context()); !ok || !p.Restricted() {
				b.Fatal("no restricted principal")
			}
			w.WriteHeader(http.StatusOK)
		})))
	serveBench(b, h, benchRequest(s.key), http.StatusOK)
}

// BenchmarkProtectWarmRestricted is ProtectWarm with the key of
// BenchmarkAuthenticateWarmRestricted.
func BenchmarkProtectWarmRestricted(b *testing.B) {
	st := memstore.New()
	s := newBenchSetup(b, st)
	restrictBenchKey(b, st)
	mw, err := New(Config{Manager: s.mgr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mw.Close(context.Background()) })
	h := mw.Protect(Need("study", PathValue("studyKey"), "get-responses", Attr("surveyKey", Query("surveyKey"))),
		func(w http.ResponseWriter, r *http.Request, p Principal) {
			if !p.Restricted() {
				b.Fatal("no restricted principal")
			}
			w.WriteHeader(http.StatusOK)
		})
	serveBench(b, h, benchRequest(s.key), http.StatusOK)
}
