package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// probeStore records what the middleware hands the store, and can hold
// KeysTouch until released.
type probeStore struct {
	store.Store

	lookups   atomic.Int64
	deadline  chan time.Duration // of each KeyByHash context; -1 for none
	touchGate chan struct{}      // nil: KeysTouch runs at once
	touchHeld chan struct{}
}

func newProbeStore() *probeStore {
	return &probeStore{
		Store:     memstore.New(),
		deadline:  make(chan time.Duration, 100),
		touchHeld: make(chan struct{}, 100),
	}
}

func (s *probeStore) KeyByHash(ctx context.Context, h apikey.Hash) (serviceaccount.Credential, error) {
	s.lookups.Add(1)
	left := time.Duration(-1)
	if d, ok := ctx.Deadline(); ok {
		left = time.Until(d)
	}
	s.deadline <- left
	return s.Store.KeyByHash(ctx, h)
}

func (s *probeStore) KeysTouch(ctx context.Context, touches []serviceaccount.KeyTouch) error {
	if s.touchGate != nil {
		s.touchHeld <- struct{}{}
		<-s.touchGate
	}
	return s.Store.KeysTouch(ctx, touches)
}

// internalFixture is a middleware on a probeStore with one account, which
// holds no permission, and one key of it.
func internalFixture(t *testing.T, st *probeStore, cfg Config, managerCfg serviceaccount.Config) (*Middleware, *serviceaccount.Manager, serviceaccount.Account, serviceaccount.CreatedKey) {
	t.Helper()
	ctx := context.Background()
	managerCfg.Store = st
	if managerCfg.Clock == nil {
		managerCfg.Clock = clockwork.NewFakeClockAt(t0)
	}
	mgr, err := serviceaccount.NewManager(managerCfg)
	require.NoError(t, err)
	acct, err := mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "internal"})
	require.NoError(t, err)
	key, err := mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	cfg.Manager = mgr
	mw, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { mw.Close(context.Background()) })
	return mw, mgr, acct, key
}

func serveKey(h http.Handler, header, value string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(header, value)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var okHandler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// The shape check runs before the hash: a string of the wrong length or
// prefix is rejected even if its hash were cached as a valid key, which
// shows it was never hashed nor looked for.
func TestTheKeyShapeIsCheckedBeforeHashing(t *testing.T) {
	st := newProbeStore()
	mw, _, _, key := internalFixture(t, st, Config{}, serviceaccount.Config{})
	h := mw.Authenticate(okHandler)
	require.Equal(t, http.StatusOK, serveKey(h, "Authorization", "Bearer "+key.Plaintext).Code)
	<-st.deadline
	id := mw.cacheID(key.Plaintext)
	valid, ok := mw.cache.GetIfPresent(id)
	require.True(t, ok)

	body := key.Plaintext[len("sa_"):]
	for name, junk := range map[string]string{
		"Megabyte":        strings.Repeat("A", 1<<20),
		"OneLonger":       key.Plaintext + "A",
		"OneShorter":      key.Plaintext[:len(key.Plaintext)-1],
		"OtherPrefix":     "xy_" + body,
		"NoUnderscore":    "sax" + body,
		"PrefixElsewhere": "_sa" + body,
	} {
		t.Run(name, func(t *testing.T) {
			// Planted: were the junk hashed, the cache would answer for it.
			junkID := mw.cacheID(junk)
			mw.cache.Set(junkID, valid)
			for _, header := range []string{"Authorization", "X-Api-Key"} {
				value := junk
				if header == "Authorization" {
					value = "Bearer " + junk
				}
				w := serveKey(h, header, value)
				require.Equal(t, http.StatusUnauthorized, w.Code)
				require.Contains(t, w.Body.String(), "malformed")
			}
		})
	}
	require.EqualValues(t, 1, st.lookups.Load())
}

// The expected length follows the Manager's prefix.
func TestTheKeyShapeFollowsTheKeyPrefix(t *testing.T) {
	st := newProbeStore()
	mw, _, _, key := internalFixture(t, st, Config{}, serviceaccount.Config{KeyPrefix: "acme"})
	require.Equal(t, len("acme")+1+49, mw.keyLen)
	require.True(t, strings.HasPrefix(key.Plaintext, "acme_"))
	h := mw.Authenticate(okHandler)
	require.Equal(t, http.StatusOK, serveKey(h, "X-Api-Key", key.Plaintext).Code)
	w := serveKey(h, "X-Api-Key", "sa_"+key.Plaintext[len("acme_"):])
	require.Equal(t, http.StatusUnauthorized, w.Code)
	require.EqualValues(t, 1, st.lookups.Load(), "the other prefix never reaches the store")
}

// The lookup a request makes on its own, after maxSharedAttempts shared
// lookups turned out too old, is bounded by LookupTimeout like every
// other: the request's context may have no deadline at all.
func TestTheFallbackLookupIsBoundedByLookupTimeout(t *testing.T) {
	st := newProbeStore()
	mw, _, _, key := internalFixture(t, st, Config{LookupTimeout: time.Hour}, serviceaccount.Config{})
	mw.sharedAttempts = 0 // straight to the fallback
	h := mw.Authenticate(okHandler)

	require.Equal(t, http.StatusOK, serveKey(h, "Authorization", "Bearer "+key.Plaintext).Code)

	left := <-st.deadline
	require.Greater(t, left, 59*time.Minute, "no deadline, or not LookupTimeout's")
	require.LessOrEqual(t, left, time.Hour)
}

// Close keeps following the Manager's changes until it returns: while it
// flushes, a change still outdates the cache.
func TestCloseKeepsTheSubscriptionUntilItReturns(t *testing.T) {
	st := newProbeStore()
	mw, mgr, acct, key := internalFixture(t, st, Config{}, serviceaccount.Config{})
	h := mw.Authenticate(okHandler)
	require.Equal(t, http.StatusOK, serveKey(h, "Authorization", "Bearer "+key.Plaintext).Code)

	st.touchGate = make(chan struct{})
	release := sync.OnceFunc(func() { close(st.touchGate) })
	t.Cleanup(release) // a failed assertion must not leave Close stuck
	closed := make(chan error)
	go func() { closed <- mw.Close(context.Background()) }()
	select {
	case <-st.touchHeld: // Close is writing the last uses
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not flush")
	}

	before := mw.invalid.seq.Load()
	require.NoError(t, mgr.DeleteKey(context.Background(), acct.ID, key.Key.ID))
	require.Greater(t, mw.invalid.seq.Load(), before, "still subscribed")

	release()
	require.NoError(t, <-closed)
	before = mw.invalid.seq.Load()
	_, err := mgr.CreateKey(context.Background(), acct.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	require.Equal(t, before, mw.invalid.seq.Load(), "unsubscribed once Close returned")
}

// Turning a key away allocates nothing: the problem bodies are prebuilt
// and every header value, nosniff included, is a shared slice.
func TestRejectingAKeyAllocatesNothing(t *testing.T) {
	st := newProbeStore()
	mw, _, _, key := internalFixture(t, st, Config{}, serviceaccount.Config{})
	h := mw.Authenticate(okHandler)
	unknown, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(t, err)
	for name, value := range map[string]string{
		"Unknown":   "Bearer " + unknown,
		"Malformed": "Bearer " + key.Plaintext[:len(key.Plaintext)-1] + "!",
		"Junk":      "Bearer " + strings.Repeat("A", 4096),
		"NoKey":     "Basic dXNlcjpwYXNz",
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", value)
			w := &discardWriter{header: http.Header{}}
			h.ServeHTTP(w, r) // caches the unknown key
			require.Equal(t, http.StatusUnauthorized, w.status)
			require.Equal(t, []string{"nosniff"}, w.header["X-Content-Type-Options"])
			allocs := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) })
			require.Zero(t, allocs)
		})
	}
}

// Ages are read with time.Since on the real clock (cheaper than
// clockwork's Since, which reads time.Now), and with the Manager's clock
// otherwise, so that a fake clock still drives the TTL.
func TestAgeReadsTheManagersClockUnlessItIsTheRealOne(t *testing.T) {
	rc, _, _, _ := internalFixture(t, newProbeStore(), Config{}, serviceaccount.Config{Clock: clockwork.NewRealClock()})
	require.True(t, rc.realClock)
	fake := clockwork.NewFakeClockAt(t0)
	mw, _, _, _ := internalFixture(t, newProbeStore(), Config{}, serviceaccount.Config{Clock: fake})
	require.False(t, mw.realClock)
	e := &entry{mw: mw}
	e.setLoadedAt(t0)
	fake.Advance(time.Minute)
	require.Equal(t, time.Minute, reading{mono: mw.sinceEpoch()}.age(e))

	// The use record of a monotonic reading is the lookup's wall time moved
	// on by the monotonic time since.
	require.Equal(t, t0.Add(time.Minute).UnixMicro(), reading{mono: mw.sinceEpoch()}.unixMicro(e))
}

// On the real clock, a cached key that expires is judged against the
// clock itself, never against its lookup time moved on by the monotonic
// time since: a wall clock set forward after the lookup (NTP correcting a
// clock that was behind, a machine resumed from suspend) must not keep an
// expired key working. Here the clock is swapped for a fake one an hour
// ahead, which is what such a step looks like to the middleware; a key
// that never expires may take the cheaper reading.
func TestAnExpiringKeyIsJudgedAgainstTheClockItself(t *testing.T) {
	mw, _, _, _ := internalFixture(t, newProbeStore(), Config{}, serviceaccount.Config{Clock: clockwork.NewRealClock()})
	require.True(t, mw.realClock)
	loadedAt := time.Now()
	ahead := clockwork.NewFakeClockAt(loadedAt.Add(time.Hour))
	mw.clock = ahead

	expiring := &entry{mw: mw, principal: Principal{ExpiresAt: loadedAt.Add(time.Minute)}}
	expiring.setLoadedAt(loadedAt)
	at := mw.readClock(expiring)
	require.Equal(t, ahead.Now(), at.now)
	require.True(t, at.expired(expiring), "expired by the clock")

	lasting := &entry{mw: mw}
	lasting.setLoadedAt(loadedAt)
	at = mw.readClock(lasting)
	require.True(t, at.now.IsZero(), "the monotonic reading alone")
	require.False(t, at.expired(lasting))
	require.WithinDuration(t, time.Now(), time.UnixMicro(at.unixMicro(lasting)), time.Minute, "lookup time plus the monotonic time since")

	// A reading without the wall clock cannot judge an expiry: it refuses.
	require.True(t, reading{mono: at.mono}.expired(expiring))
}

// A fake clock moved further from the Middleware's epoch than a Duration
// holds makes time.Time.Sub saturate, so that two readings an hour apart
// would compare equal: such an entry is taken as stale, never as fresh.
func TestReadingsBeyondADurationFromTheEpochAreStale(t *testing.T) {
	fake := clockwork.NewFakeClockAt(time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC))
	mw, _, _, _ := internalFixture(t, newProbeStore(), Config{}, serviceaccount.Config{Clock: fake})
	far := mw.epoch.Add(maxDuration).Add(time.Hour) // about 1992: beyond what Sub can express
	e := &entry{mw: mw, stripe: &mw.invalid.unknown}
	e.setLoadedAt(far)
	later := far.Add(time.Hour)
	at := reading{mono: later.Sub(mw.epoch), now: later}
	require.Equal(t, maxDuration, at.mono, "saturated")
	require.Negative(t, at.age(e))
	require.False(t, mw.fresh(e, at.age(e)))
}

// The same through Authenticate: an entry cached beyond a Duration from
// the epoch is looked up again once the TTL has passed, by the hit path
// and by the shared lookup that would otherwise find it in the cache.
func TestAnEntryBeyondADurationFromTheEpochIsLookedUpAgain(t *testing.T) {
	fake := clockwork.NewFakeClockAt(time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC))
	st := newProbeStore()
	// A flush interval of a century: advancing the clock by 292 years
	// fires the flush ticker a few times, not once a minute.
	mw, _, _, key := internalFixture(t, st, Config{FlushInterval: 100 * 365 * 24 * time.Hour}, serviceaccount.Config{Clock: fake})
	h := mw.Authenticate(okHandler)
	fake.Advance(maxDuration)
	fake.Advance(time.Hour)
	require.Equal(t, http.StatusOK, serveKey(h, "Authorization", "Bearer "+key.Plaintext).Code)
	looked := st.lookups.Load()
	fake.Advance(time.Hour) // far beyond the TTL
	require.Equal(t, http.StatusOK, serveKey(h, "Authorization", "Bearer "+key.Plaintext).Code)
	require.Equal(t, looked+1, st.lookups.Load(), "looked up again")
}

func TestAgesThatOverflowAreStale(t *testing.T) {
	far := time.Duration(1<<62) + time.Duration(1<<61) // 1.5 × 2^62: twice that overflows
	require.Negative(t, reading{mono: far}.age(&entry{loadedMono: -far}))
	require.Negative(t, reading{mono: -far}.age(&entry{loadedMono: far}))
	require.Equal(t, time.Hour, reading{mono: time.Hour + 5}.age(&entry{loadedMono: 5}))
}
