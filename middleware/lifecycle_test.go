package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func boolPtr(b bool) *bool { return &b }

// TestADisabledKeyIsRefusedOnTheNextRequestAndWorksAgainWhenEnabled: the
// entry is cached (one lookup), and the Manager's change drops it at once,
// both ways.
func TestADisabledKeyIsRefusedOnTheNextRequestAndWorksAgainWhenEnabled(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	ctx := context.Background()

	_, err := f.mgr.PatchKey(ctx, f.account.ID, f.keyID, serviceaccount.KeyPatch{Disabled: boolPtr(true)})
	require.NoError(t, err)
	w := get(h, "/whoami", f.key)
	requireUnauthorized(t, w, invalidToken, "disabled", f.key)
	require.Contains(t, w.Body.String(), `"code":"disabled_key"`)

	_, err = f.mgr.PatchKey(ctx, f.account.ID, f.keyID, serviceaccount.KeyPatch{Disabled: boolPtr(false)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
}

func TestTheKeysOfADisabledAccountAreRefusedOnTheNextRequest(t *testing.T) {
	f := newFixture(t)
	other := f.createKey(f.account, nil)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	ctx := context.Background()

	_, err := f.mgr.PatchAccount(ctx, f.account.ID, serviceaccount.AccountPatch{Disabled: boolPtr(true)})
	require.NoError(t, err)
	for _, key := range []string{f.key, other.Plaintext} {
		w := get(h, "/whoami", key)
		requireUnauthorized(t, w, invalidToken, "service account is disabled", key)
		require.Contains(t, w.Body.String(), `"code":"disabled_account"`)
	}

	_, err = f.mgr.PatchAccount(ctx, f.account.ID, serviceaccount.AccountPatch{Disabled: boolPtr(false)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
}

// TestARotatedKeyWorksDuringItsGraceAndNotAfter: both keys authenticate
// during the grace, the old one is refused as expired at its end.
func TestARotatedKeyWorksDuringItsGraceAndNotAfter(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	r, err := f.mgr.RotateKey(context.Background(), f.account.ID, f.keyID, serviceaccount.RotateKeyInput{GracePeriodSeconds: new(int64(60))})
	require.NoError(t, err)

	f.clock.Advance(59 * time.Second)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code, "the old key during the grace")
	require.Equal(t, http.StatusOK, get(h, "/whoami", r.Created.Plaintext).Code, "the new key")
	f.clock.Advance(time.Second)
	w := get(h, "/whoami", f.key)
	requireUnauthorized(t, w, invalidToken, "expired", f.key)
	require.Contains(t, w.Body.String(), `"code":"expired_key"`)
	require.Equal(t, http.StatusOK, get(h, "/whoami", r.Created.Plaintext).Code)
}

func TestDisabledErrorsAre401WithTheirOwnSentinels(t *testing.T) {
	for _, err := range []error{middleware.ErrDisabledKey, middleware.ErrDisabledAccount} {
		require.Equal(t, http.StatusUnauthorized, middleware.StatusOf(err))
		require.Equal(t, http.StatusUnauthorized, middleware.StatusOf(errors.Join(errors.New("wrapped"), err)))
	}
	require.Equal(t, "disabled_key", middleware.CodeOf(middleware.ErrDisabledKey))
	require.Equal(t, "disabled_account", middleware.CodeOf(middleware.ErrDisabledAccount))
}
