package middleware

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// cachedEntry returns the cache's entry for key, if any.
func cachedEntry(mw *Middleware, key string) (*entry, bool) {
	id := mw.cacheID(key)
	return mw.cache.GetIfPresent(id)
}

// A held key prints as [REDACTED] in every form: its methods, every fmt
// verb, slog, JSON, and inside an entry printed whole, where fmt cannot
// call its methods.
func TestAHeldKeyNeverPrintsItself(t *testing.T) {
	st := newProbeStore()
	mw, _, _, key := internalFixture(t, st, Config{}, serviceaccount.Config{})
	require.Equal(t, http.StatusOK, serveKey(mw.Authenticate(okHandler), "X-Api-Key", key.Plaintext).Code)
	e, ok := cachedEntry(mw, key.Plaintext)
	require.True(t, ok)
	held := e.held.Load()
	require.NotNil(t, held)
	require.True(t, held.equal(key.Plaintext), "the entry holds the key it confirms")

	var out []string
	out = append(out, held.String(), held.GoString(), held.LogValue().String())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T %v", "%d", "%10.3s"} {
		out = append(out, fmt.Sprintf(verb, held), fmt.Sprintf(verb, *held))
	}
	for _, v := range []any{e, *e.held.Load(), struct{ k heldKey }{*held}, struct{ K *heldKey }{held}} {
		out = append(out, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v))
	}
	j, err := json.Marshal(map[string]any{"held": held, "value": *held})
	require.NoError(t, err)
	out = append(out, string(j))
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		slog.New(h).Info("held", "key", held, "value", *held, "entry", e)
	}
	out = append(out, logs.String())

	for _, s := range out {
		require.NotContains(t, s, key.Plaintext)
		require.NotContains(t, s, key.Plaintext[len("sa_"):len("sa_")+8], "no part of the key either")
	}
	require.Equal(t, "[REDACTED]", fmt.Sprintf("%#v", held))
	require.Contains(t, string(j), `"held":"[REDACTED]"`)
}

// An entry holding a key leaves the cache, and forgets its key, when its
// TTL passes, though nothing evicts it by size and no request asks for
// it again: the sweeper, driven by the Manager's clock, removes it.
func TestAnEntryLeavesMemoryWhenItsTTLPasses(t *testing.T) {
	st := newProbeStore()
	clock := clockwork.NewFakeClockAt(t0)
	swept := make(chan struct{}, 1)
	mw, _, _, key := internalFixture(t, st, Config{CacheTTL: 2 * time.Second, swept: func() { swept <- struct{}{} }},
		serviceaccount.Config{Clock: clock})
	require.Equal(t, 500*time.Millisecond, mw.sweepInterval)
	require.Equal(t, http.StatusOK, serveKey(mw.Authenticate(okHandler), "X-Api-Key", key.Plaintext).Code)
	e, ok := cachedEntry(mw, key.Plaintext)
	require.True(t, ok)

	// Sweeps before the TTL keep it.
	for range 3 {
		clock.Advance(mw.sweepInterval)
		waitSwept(t, swept)
		_, ok := cachedEntry(mw, key.Plaintext)
		require.True(t, ok, "at %s", clock.Since(t0))
		require.NotNil(t, e.held.Load())
	}
	// The first sweep at or past the TTL removes it: at most a quarter of
	// the TTL late.
	clock.Advance(mw.sweepInterval)
	waitSwept(t, swept)
	_, ok = cachedEntry(mw, key.Plaintext)
	require.False(t, ok, "at %s", clock.Since(t0))
	require.Nil(t, e.held.Load(), "the removed entry forgot its key")
	require.Zero(t, mw.cache.EstimatedSize())
}

func waitSwept(t *testing.T, swept chan struct{}) {
	t.Helper()
	select {
	case <-swept:
	case <-time.After(30 * time.Second): // a watchdog, not a wait: a missed sweep fails rather than hangs
		t.Fatal("no sweep within 30 s of advancing the clock")
	}
}

// A change to the key's account removes its entry from memory at once,
// before the Manager's call returns, not when the sweeper next runs.
func TestAChangeRemovesTheEntryAndItsKeyAtOnce(t *testing.T) {
	for name, change := range map[string]func(*serviceaccount.Manager, serviceaccount.Account, serviceaccount.CreatedKey) error{
		"KeyDeleted": func(mgr *serviceaccount.Manager, a serviceaccount.Account, k serviceaccount.CreatedKey) error {
			return mgr.DeleteKey(context.Background(), a.ID, k.Key.ID)
		},
		"KeyDisabled": func(mgr *serviceaccount.Manager, a serviceaccount.Account, k serviceaccount.CreatedKey) error {
			yes := true
			_, err := mgr.PatchKey(context.Background(), a.ID, k.Key.ID, serviceaccount.KeyPatch{Disabled: &yes})
			return err
		},
		"AccountDeleted": func(mgr *serviceaccount.Manager, a serviceaccount.Account, _ serviceaccount.CreatedKey) error {
			return mgr.DeleteAccount(context.Background(), a.ID)
		},
	} {
		t.Run(name, func(t *testing.T) {
			st := newProbeStore()
			mw, mgr, acct, key := internalFixture(t, st, Config{}, serviceaccount.Config{})
			require.Equal(t, http.StatusOK, serveKey(mw.Authenticate(okHandler), "X-Api-Key", key.Plaintext).Code)
			e, ok := cachedEntry(mw, key.Plaintext)
			require.True(t, ok)
			require.NoError(t, change(mgr, acct, key))
			_, ok = cachedEntry(mw, key.Plaintext)
			require.False(t, ok)
			require.Nil(t, e.held.Load())
		})
	}
}

// Close empties the cache: no key stays in memory after it.
func TestCloseRemovesEveryKey(t *testing.T) {
	st := newProbeStore()
	mw, _, _, key := internalFixture(t, st, Config{}, serviceaccount.Config{})
	require.Equal(t, http.StatusOK, serveKey(mw.Authenticate(okHandler), "X-Api-Key", key.Plaintext).Code)
	e, ok := cachedEntry(mw, key.Plaintext)
	require.True(t, ok)
	require.NoError(t, mw.Close(context.Background()))
	require.Nil(t, e.held.Load())
	require.Zero(t, mw.cache.EstimatedSize())
}

// The cache never holds the plaintext of a key the store does not hold:
// its negative entry keeps only the check hash.
func TestANegativeEntryHoldsNoKey(t *testing.T) {
	st := newProbeStore()
	mw, mgr, _, _ := internalFixture(t, st, Config{}, serviceaccount.Config{})
	unknown := generateKey(t, mgr.KeyPrefix())
	h := mw.Authenticate(okHandler)
	require.Equal(t, http.StatusUnauthorized, serveKey(h, "X-Api-Key", unknown).Code)
	e, ok := cachedEntry(mw, unknown)
	require.True(t, ok)
	require.True(t, e.unknown)
	require.Nil(t, e.held.Load())
	// And it serves: the second refusal asks the store nothing.
	require.Equal(t, http.StatusUnauthorized, serveKey(h, "X-Api-Key", unknown).Code)
	require.EqualValues(t, 1, st.lookups.Load())
}

// An entry found under the presented key's hash serves only the key it
// was made for: another key whose hash collides (planted here, since the
// seed is random) is looked up in the store, not let in as the entry's
// key. Without the confirmation, the planted entry would answer 200.
func TestACollidingKeyIsNotServedAnotherKeysEntry(t *testing.T) {
	st := newProbeStore()
	mw, mgr, _, key := internalFixture(t, st, Config{}, serviceaccount.Config{})
	h := mw.Authenticate(okHandler)
	require.Equal(t, http.StatusOK, serveKey(h, "X-Api-Key", key.Plaintext).Code)
	valid, ok := cachedEntry(mw, key.Plaintext)
	require.True(t, ok)

	other := generateKey(t, mgr.KeyPrefix())
	otherID := mw.cacheID(other)
	mw.cache.Set(otherID, valid)
	require.Equal(t, http.StatusUnauthorized, serveKey(h, "X-Api-Key", other).Code)
	require.EqualValues(t, 2, st.lookups.Load(), "the colliding key went to the store")
}

func generateKey(t *testing.T, prefix string) string {
	t.Helper()
	k, err := apikey.Generate(prefix)
	require.NoError(t, err)
	return k
}

// constantTimeEqual agrees with subtle.ConstantTimeCompare, whatever the
// length and wherever the one differing byte is, in its 8-byte words or
// the tail.
func TestConstantTimeEqualAgreesWithEquality(t *testing.T) {
	for n := range 200 {
		a := bytes.Repeat([]byte{'k'}, n)
		require.True(t, constantTimeEqual(string(a), string(a)), "length %d", n)
		require.False(t, constantTimeEqual(string(a), string(a)+"k"), "length %d", n)
		for i := range n {
			b := bytes.Clone(a)
			b[i] ^= 0x80
			require.False(t, constantTimeEqual(string(a), string(b)), "length %d, byte %d", n, i)
			require.Zero(t, subtle.ConstantTimeCompare(a, b))
		}
	}
}
