package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func TestVerifyAcceptsAKeyAndRecordsItsUse(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	f.clock.Advance(time.Second)
	p, err := f.mw.Verify(ctx, f.key)
	require.NoError(t, err)
	require.Equal(t, f.account.ID, p.AccountID)
	require.Equal(t, f.keyID, p.KeyID)
	require.Equal(t, "Data pipeline", p.Label)
	require.Equal(t, 1, p.Permissions.Len())
	require.Zero(t, f.store.touchCalls.Load(), "nothing is written on the caller's path")

	f.clock.Advance(interval - time.Second)
	require.Equal(t, []serviceaccount.KeyTouch{{KeyID: f.keyID, UsedAt: t0.Add(time.Second)}}, f.store.nextTouch(t))
}

func TestVerifyRefusesWithTheSentinelsOfAuthenticate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	expiresAt := t0.Add(time.Minute)
	expiring := f.createKey(f.account, &expiresAt)
	disabledKey := f.createKey(f.account, nil)
	_, err := f.mgr.PatchKey(ctx, f.account.ID, disabledKey.Key.ID, serviceaccount.KeyPatch{Disabled: boolPtr(true)})
	require.NoError(t, err)
	disabledAccount := f.createAccount("Paused")
	ofDisabled := f.createKey(disabledAccount, nil)
	_, err = f.mgr.PatchAccount(ctx, disabledAccount.ID, serviceaccount.AccountPatch{Disabled: boolPtr(true)})
	require.NoError(t, err)

	_, err = f.mw.Verify(ctx, expiring.Plaintext)
	require.NoError(t, err, "before its expiry")
	f.clock.Advance(time.Minute)

	for name, c := range map[string]struct {
		key  string
		want error
	}{
		"Unknown":         {otherKey(t), middleware.ErrUnknownKey},
		"Expired":         {expiring.Plaintext, middleware.ErrExpiredKey},
		"DisabledKey":     {disabledKey.Plaintext, middleware.ErrDisabledKey},
		"DisabledAccount": {ofDisabled.Plaintext, middleware.ErrDisabledAccount},
		"Malformed":       {malformed(f.key), middleware.ErrMalformedKey},
		"WrongShape":      {"sa_short", middleware.ErrMalformedKey},
		"Empty":           {"", middleware.ErrNoCredentials},
	} {
		t.Run(name, func(t *testing.T) {
			// Twice: from the store, then from the cache.
			for range 2 {
				p, err := f.mw.Verify(ctx, c.key)
				require.ErrorIs(t, err, c.want)
				require.Equal(t, http.StatusUnauthorized, middleware.StatusOf(err))
				require.Zero(t, p, "no principal with a refusal")
				if c.key != "" {
					require.NotContains(t, err.Error(), c.key)
				}
			}
		})
	}
}

func TestVerifyFailsClosedWhenTheStoreFailsAndOnceCloseHasBegun(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.store.failLookups.Store(true)
	_, err := f.mw.Verify(ctx, f.key)
	require.ErrorIs(t, err, middleware.ErrStoreUnavailable)
	require.ErrorIs(t, err, errStoreDown)
	require.Equal(t, http.StatusServiceUnavailable, middleware.StatusOf(err))
	require.NotContains(t, err.Error(), f.key)
	require.Contains(t, f.logs.String(), "API key could not be checked")

	f.store.failLookups.Store(false)
	_, err = f.mw.Verify(ctx, f.key)
	require.NoError(t, err, "a store error is never cached")

	require.NoError(t, f.close())
	_, err = f.mw.Verify(ctx, f.key)
	require.ErrorIs(t, err, middleware.ErrClosed)
}

func TestVerifySharesTheCacheWithTheHTTPPath(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	ctx := context.Background()

	_, err := f.mw.Verify(ctx, f.key)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	require.EqualValues(t, 1, f.store.lookups.Load(), "the request found Verify's entry")

	second := f.createKey(f.account, nil)
	require.Equal(t, http.StatusOK, get(h, "/whoami", second.Plaintext).Code)
	_, err = f.mw.Verify(ctx, second.Plaintext)
	require.NoError(t, err)
	require.EqualValues(t, 2, f.store.lookups.Load(), "Verify found the request's entry")

	// A change through the Manager reaches both at once.
	_, err = f.mgr.PatchKey(ctx, f.account.ID, f.keyID, serviceaccount.KeyPatch{Disabled: boolPtr(true)})
	require.NoError(t, err)
	_, err = f.mw.Verify(ctx, f.key)
	require.ErrorIs(t, err, middleware.ErrDisabledKey)
}

func TestVerifyAndAuthorizeAreCountedInTheMetrics(t *testing.T) {
	mr, configure := withMetrics(t)
	f := newFixture(t, configure)
	ctx := context.Background()

	p, err := f.mw.Verify(ctx, f.key) // miss
	require.NoError(t, err)
	_, err = f.mw.Verify(ctx, f.key) // hit
	require.NoError(t, err)
	_, err = f.mw.Verify(ctx, otherKey(t)) // miss
	require.ErrorIs(t, err, middleware.ErrUnknownKey)
	require.Equal(t, map[string]int64{"code=ok": 2, "code=unknown_key": 1}, nonZero(mr.sums("serviceaccounts.authentications")))
	require.Equal(t, map[string]int64{"result=hit": 1, "result=miss": 2}, nonZero(mr.sums("serviceaccounts.cache.lookups")))

	require.NoError(t, f.mw.Authorize(p, "study", "tekenradar", "get-responses", limiter.Attributes{{Key: "surveyKey", Value: "s1"}}))
	require.ErrorIs(t, f.mw.Authorize(p, "study", "other", "get-responses", nil), middleware.ErrForbidden)
	require.Equal(t, map[string]int64{"code=ok": 1, "code=forbidden": 1}, nonZero(mr.sums("serviceaccounts.authorizations")))
}

func TestAuthorizeDecidesAsARouteDoes(t *testing.T) {
	f := newFixture(t) // study/tekenradar/get-responses limited to surveys s1 and s2
	p, err := f.mw.Verify(context.Background(), f.key)
	require.NoError(t, err)
	survey := func(v string) limiter.Attributes { return limiter.Attributes{{Key: "surveyKey", Value: v}} }

	require.NoError(t, f.mw.Authorize(p, "study", "tekenradar", "get-responses", survey("s2")))

	for name, c := range map[string]struct {
		key, action string
		attrs       limiter.Attributes
		want        middleware.ForbiddenError
	}{
		"LimiterRefuses": {"tekenradar", "get-responses", survey("s3"),
			middleware.ForbiddenError{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limited: true}},
		"AttributeMissing": {"tekenradar", "get-responses", nil,
			middleware.ForbiddenError{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limited: true}},
		"AttributeEmpty": {"tekenradar", "get-responses", limiter.Attributes{{Key: "reportKey", Value: "r1"}, {Key: "surveyKey", Value: ""}},
			middleware.ForbiddenError{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses", Limited: true, MissingAttributes: []string{"surveyKey"}}},
		"OtherStudy": {"other", "get-responses", survey("s1"),
			middleware.ForbiddenError{ResourceType: "study", ResourceKey: "other", Action: "get-responses"}},
		"OtherAction": {"tekenradar", "delete-responses", survey("s1"),
			middleware.ForbiddenError{ResourceType: "study", ResourceKey: "tekenradar", Action: "delete-responses"}},
		"NoResourceKey": {"", "get-responses", survey("s1"),
			middleware.ForbiddenError{ResourceType: "study", Action: "get-responses"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := f.mw.Authorize(p, "study", c.key, c.action, c.attrs)
			require.ErrorIs(t, err, middleware.ErrForbidden)
			require.Equal(t, http.StatusForbidden, middleware.StatusOf(err))
			var fe *middleware.ForbiddenError
			require.True(t, errors.As(err, &fe))
			require.Equal(t, c.want, *fe)
		})
	}

	err = f.mw.Authorize(middleware.Principal{}, "study", "tekenradar", "get-responses", survey("s1"))
	require.ErrorIs(t, err, middleware.ErrForbidden, "the zero Principal holds nothing")
}

func TestVerifyFromCountsUnknownKeysByTheCallersAddress(t *testing.T) {
	f := newFixture(t, func(cfg *middleware.Config) {
		cfg.UnknownKeyLimit = middleware.UnknownKeyLimit{Lookups: 1, Period: time.Minute}
	})
	ctx := context.Background()
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")

	_, err := f.mw.VerifyFrom(ctx, otherKey(t), a)
	require.ErrorIs(t, err, middleware.ErrUnknownKey)
	_, err = f.mw.VerifyFrom(ctx, otherKey(t), a)
	require.ErrorIs(t, err, middleware.ErrTooManyAttempts, "a's budget is spent")
	require.Equal(t, http.StatusTooManyRequests, middleware.StatusOf(err))
	_, err = f.mw.VerifyFrom(ctx, otherKey(t), b)
	require.ErrorIs(t, err, middleware.ErrUnknownKey, "b has its own budget")

	// Verify, without an address, is one client of its own.
	_, err = f.mw.Verify(ctx, otherKey(t))
	require.ErrorIs(t, err, middleware.ErrUnknownKey)
	_, err = f.mw.Verify(ctx, otherKey(t))
	require.ErrorIs(t, err, middleware.ErrTooManyAttempts)
	_, err = f.mw.VerifyFrom(ctx, f.key, b)
	require.ErrorIs(t, err, middleware.ErrTooManyAttempts, "b spent its budget too, and the key is not cached")

	f.clock.Advance(time.Minute)
	_, err = f.mw.VerifyFrom(ctx, f.key, b)
	require.NoError(t, err, "a known key is looked up once the budget is back")
}

// TestVerifyStopsWaitingWhenItsContextEnds: ctx bounds the caller's wait
// for a store lookup, as a request's context does; the lookup itself runs
// on for others and fills the cache.
func TestVerifyStopsWaitingWhenItsContextEnds(t *testing.T) {
	f := newFixture(t)
	f.store.holdLookups.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := f.mw.Verify(ctx, f.key)
		done <- err
	}()
	select {
	case <-f.store.lookupHeld:
	case <-time.After(waitFor):
		t.Fatal("no lookup")
	}
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, err, middleware.ErrStoreUnavailable)
	case <-time.After(waitFor):
		t.Fatal("Verify kept waiting after its context ended")
	}
	require.Contains(t, f.logs.String(), "abandoned by the client")
	require.NotContains(t, f.logs.String(), "could not be checked", "not the store's fault")

	f.store.holdLookups.Store(false)
	close(f.store.release)
	// The held lookup stores its entry before its flight ends: this call
	// joins the flight or finds the entry, and makes no lookup of its own.
	_, err := f.mw.Verify(context.Background(), f.key)
	require.NoError(t, err)
	require.EqualValues(t, 1, f.store.lookups.Load(), "the abandoned lookup filled the cache")
}
