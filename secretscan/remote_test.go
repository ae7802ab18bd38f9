package secretscan_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
)

// keyServer serves a public_keys document that the test can change or
// break, and counts fetches.
type keyServer struct {
	mu      sync.Mutex
	doc     []byte
	status  int
	fetches atomic.Int32
	srv     *httptest.Server
}

func newKeyServer(t *testing.T, doc []byte) *keyServer {
	t.Helper()
	ks := &keyServer{doc: doc, status: http.StatusOK}
	ks.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		ks.fetches.Add(1)
		ks.mu.Lock()
		defer ks.mu.Unlock()
		w.WriteHeader(ks.status)
		w.Write(ks.doc)
	}))
	t.Cleanup(ks.srv.Close)
	return ks
}

func (ks *keyServer) set(status int, doc []byte) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.status, ks.doc = status, doc
}

func newRemote(t *testing.T, ks *keyServer, clock clockwork.Clock, logs *syncBuffer, initial ...secretscan.PublicKey) *secretscan.RemoteKeys {
	t.Helper()
	r, err := secretscan.NewRemoteKeys(secretscan.RemoteKeysConfig{
		URL:     ks.srv.URL + "/meta/public_keys/secret_scanning",
		Clock:   clock,
		MaxAge:  time.Hour,
		Initial: initial,
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	})
	require.NoError(t, err)
	return r
}

func verifies(t *testing.T, keys secretscan.KeySource, s signer) error {
	t.Helper()
	body := []byte(sampleReport)
	return secretscan.Verify(context.Background(), keys, body, s.id, s.sign(t, body))
}

func TestRemoteKeysAreFetchedOnceAndCachedUntilTheyAge(t *testing.T) {
	t.Parallel()
	gh := newSigner(t, "gh-1")
	ks := newKeyServer(t, keysJSON(t, gh))
	clock := clockwork.NewFakeClock()
	keys := newRemote(t, ks, clock, &syncBuffer{})

	require.Zero(t, ks.fetches.Load(), "nothing is fetched before it is needed")
	for range 5 {
		require.NoError(t, verifies(t, keys, gh))
	}
	require.Equal(t, int32(1), ks.fetches.Load())

	clock.Advance(59 * time.Minute)
	require.NoError(t, verifies(t, keys, gh))
	require.Equal(t, int32(1), ks.fetches.Load())

	clock.Advance(time.Minute)
	require.NoError(t, verifies(t, keys, gh))
	require.Equal(t, int32(2), ks.fetches.Load())
}

func TestAFailedRefreshKeepsTheOldKeys(t *testing.T) {
	t.Parallel()
	gh := newSigner(t, "gh-1")
	ks := newKeyServer(t, keysJSON(t, gh))
	clock := clockwork.NewFakeClock()
	logs := &syncBuffer{}
	keys := newRemote(t, ks, clock, logs)
	require.NoError(t, verifies(t, keys, gh))

	for _, broken := range []struct {
		status int
		doc    []byte
	}{
		{http.StatusInternalServerError, []byte("oops")},
		{http.StatusOK, []byte(`{"public_keys":[]}`)},
		{http.StatusOK, []byte(`<html>`)},
	} {
		ks.set(broken.status, broken.doc)
		clock.Advance(time.Hour)
		before := ks.fetches.Load()
		require.NoError(t, verifies(t, keys, gh), "old keys must still verify")
		require.Equal(t, before+1, ks.fetches.Load())
		// Until RetryAfter passes, a failed fetch is not repeated.
		require.NoError(t, verifies(t, keys, gh))
		require.Equal(t, before+1, ks.fetches.Load())
	}
	require.Contains(t, logs.String(), "keeping the keys held")

	ks.set(http.StatusOK, keysJSON(t, gh))
	require.NoError(t, keys.Refresh(context.Background()))
	require.NoError(t, verifies(t, keys, gh))
}

func TestAnUnknownKeyIDTriggersARateLimitedRefresh(t *testing.T) {
	t.Parallel()
	old, rotated := newSigner(t, "gh-1"), newSigner(t, "gh-2")
	ks := newKeyServer(t, keysJSON(t, old))
	clock := clockwork.NewFakeClock()
	keys := newRemote(t, ks, clock, &syncBuffer{})
	require.NoError(t, verifies(t, keys, old))
	require.Equal(t, int32(1), ks.fetches.Load())

	// GitHub rotates: the new key is current, the old one still listed.
	ks.set(http.StatusOK, keysJSON(t, rotated, old))
	clock.Advance(time.Minute)
	require.NoError(t, verifies(t, keys, rotated), "a new identifier fetches the list again")
	require.Equal(t, int32(2), ks.fetches.Load())
	require.NoError(t, verifies(t, keys, old), "a key that is not current still verifies")

	// Made-up identifiers cannot make us fetch more than once a minute.
	stranger := newSigner(t, "made-up")
	for range 10 {
		require.ErrorIs(t, verifies(t, keys, stranger), secretscan.ErrInvalidSignature)
	}
	require.Equal(t, int32(2), ks.fetches.Load())
	clock.Advance(time.Minute)
	require.ErrorIs(t, verifies(t, keys, stranger), secretscan.ErrInvalidSignature)
	require.Equal(t, int32(3), ks.fetches.Load())

	// Once removed from the list, the old key no longer verifies.
	ks.set(http.StatusOK, keysJSON(t, rotated))
	require.NoError(t, keys.Refresh(context.Background()))
	require.ErrorIs(t, verifies(t, keys, old), secretscan.ErrInvalidSignature)
	require.NoError(t, verifies(t, keys, rotated))
}

func TestWithoutAnyKeysAFailedFetchIsUnavailableNotUnauthorized(t *testing.T) {
	t.Parallel()
	gh := newSigner(t, "gh-1")
	ks := newKeyServer(t, nil)
	ks.set(http.StatusBadGateway, nil)
	clock := clockwork.NewFakeClock()
	keys := newRemote(t, ks, clock, &syncBuffer{})
	err := verifies(t, keys, gh)
	require.ErrorIs(t, err, secretscan.ErrKeysUnavailable)
	require.NotErrorIs(t, err, secretscan.ErrInvalidSignature)

	// Initial keys (from a file) bridge a URL that is down at start.
	initial, err := secretscan.ParsePublicKeys(keysJSON(t, gh))
	require.NoError(t, err)
	withInitial := newRemote(t, ks, clock, &syncBuffer{}, initial...)
	require.NoError(t, verifies(t, withInitial, gh))
}

func TestNewRemoteKeysChecksItsConfig(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "/relative", "ftp://x/keys", "https://"} {
		_, err := secretscan.NewRemoteKeys(secretscan.RemoteKeysConfig{URL: u})
		require.Error(t, err, u)
	}
	_, err := secretscan.NewRemoteKeys(secretscan.RemoteKeysConfig{URL: secretscan.GitHubKeysURL, MaxAge: -1})
	require.Error(t, err)
}

func TestACancelledReportDoesNotSpoilTheFetch(t *testing.T) {
	t.Parallel()
	gh := newSigner(t, "gh-1")
	ks := newKeyServer(t, keysJSON(t, gh))
	keys := newRemote(t, ks, clockwork.NewFakeClock(), &syncBuffer{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := []byte(sampleReport)
	require.NoError(t, secretscan.Verify(ctx, keys, body, gh.id, gh.sign(t, body)))
	require.Equal(t, int32(1), ks.fetches.Load())
}

// A keys URL may carry credentials (an internal mirror behind basic
// authentication); neither the log of a failed fetch nor the error that
// reaches the handler's log shows them.
func TestAFailedFetchNeverShowsTheURLsPassword(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	keys, err := secretscan.NewRemoteKeys(secretscan.RemoteKeysConfig{
		URL:    "http://mirror:s3cret-pw@127.0.0.1:1/meta/public_keys/secret_scanning?token=s3cret-tok",
		Clock:  clockwork.NewFakeClock(),
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	require.NoError(t, err)
	err = verifies(t, keys, newSigner(t, "gh-1"))
	require.ErrorIs(t, err, secretscan.ErrKeysUnavailable)
	require.NotContains(t, err.Error(), "s3cret")
	require.Contains(t, logs.String(), "fetching public keys failed")
	require.NotContains(t, logs.String(), "s3cret")
	require.Contains(t, logs.String(), "127.0.0.1:1", "the log still says which server failed")
}
