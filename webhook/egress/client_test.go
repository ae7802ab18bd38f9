package egress_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
)

func newClient(t *testing.T, cfg egress.Config) *egress.Client {
	t.Helper()
	c, err := egress.NewClient(cfg)
	require.NoError(t, err)
	return c
}

// receiver is a test server on 127.0.0.1 that counts its requests.
func receiver(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestALoopbackReceiverIsRefusedUnlessPrivateAddressesAreAllowed(t *testing.T) {
	t.Parallel()
	var gotBody []byte
	var gotHeader http.Header
	srv, hits := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		gotHeader = r.Header.Clone()
		w.WriteHeader(http.StatusNoContent)
	})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	secretPath := "/hooks/T0001/B0002/s3cr3tp4th?token=s3cr3tqu3ry"
	strict := newClient(t, egress.Config{})

	for host, rng := range map[string]string{
		"127.0.0.1":          "loopback",
		"127.0.0.2":          "loopback",
		"localhost":          "loopback",
		"[::ffff:127.0.0.1]": "loopback",
		"0.0.0.0":            "unspecified", // Linux connects it to the local host
	} {
		url := "http://" + host + ":" + strconv.Itoa(port) + secretPath
		resp, err := strict.Post(context.Background(), url, nil, []byte(`{}`))
		require.Nil(t, resp, host)
		require.ErrorIs(t, err, egress.ErrForbiddenAddress, host)
		require.ErrorContains(t, err, " "+rng+" address", host)
		require.NotContains(t, err.Error(), "s3cr3t", host)
	}
	// Spellings of the loopback address that some resolvers (glibc's) turn
	// into 127.0.0.1: whatever the resolver does, the connection is refused.
	for _, host := range []string{"127.1", "2130706433", "0x7f000001", "017700000001", "localhost."} {
		_, err := strict.Post(context.Background(), "http://"+host+":"+strconv.Itoa(port)+"/", nil, nil)
		require.Error(t, err, host)
	}
	require.Zero(t, hits.Load(), "a refused delivery must not reach the receiver")

	lax := newClient(t, egress.Config{AllowPrivate: true})
	h := http.Header{"Webhook-Id": {"msg_1"}}
	resp, err := lax.Post(context.Background(), srv.URL+secretPath, h, []byte(`{"type":"key.leaked"}`))
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, int32(1), hits.Load())
	require.Equal(t, `{"type":"key.leaked"}`, string(gotBody))
	require.Equal(t, "msg_1", gotHeader.Get("Webhook-Id"))
	require.Equal(t, "application/json", gotHeader.Get("Content-Type"))
}

func TestARedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	target, targetHits := receiver(t, func(w http.ResponseWriter, _ *http.Request) {})
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	c := newClient(t, egress.Config{AllowPrivate: true})
	resp, err := c.Post(context.Background(), srv.URL, nil, []byte(`{}`))
	require.NoError(t, err)
	require.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode)
	require.Zero(t, targetHits.Load())
}

func TestAHangingReceiverIsCutOffByTheTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, hits := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		select { // hang until the test ends or the client gives up
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close

	c := newClient(t, egress.Config{AllowPrivate: true, Timeout: 200 * time.Millisecond})
	// A caller's deadline far beyond the client's timeout: were the
	// timeout missing, this one would end the wait, too late.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := c.Post(ctx, srv.URL+"/in?token=s3cr3t", nil, []byte(`{}`))
	require.Nil(t, resp)
	require.Error(t, err)
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "want a timeout, got %v", err)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotContains(t, err.Error(), "s3cr3t")
	require.Less(t, time.Since(start), 2*time.Second)
	require.Equal(t, int32(1), hits.Load())
}

func TestAReceiverThatStallsMidAnswerIsCutOffToo(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })

	c := newClient(t, egress.Config{AllowPrivate: true, Timeout: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := c.Post(ctx, srv.URL, nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "partial", string(resp.Body))
}

func TestAHugeAnswerIsReadOnlyUpToTheBound(t *testing.T) {
	t.Parallel()
	srv, _ := receiver(t, func(w http.ResponseWriter, _ *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for { // endless: reading it all would never finish
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	c := newClient(t, egress.Config{AllowPrivate: true})
	resp, err := c.Post(context.Background(), srv.URL, nil, []byte(`{}`))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, resp.Body, egress.DefaultMaxResponseBytes)
	require.True(t, resp.Truncated)
}

func TestAnAnswerOfExactlyTheBoundIsNotTruncated(t *testing.T) {
	t.Parallel()
	srv, _ := receiver(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write(bytes.Repeat([]byte("y"), 100))
	})
	c := newClient(t, egress.Config{AllowPrivate: true, MaxResponseBytes: 100})
	resp, err := c.Post(context.Background(), srv.URL, nil, nil)
	require.NoError(t, err, "a 5xx is an answer, not an error")
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Len(t, resp.Body, 100)
	require.False(t, resp.Truncated)

	c = newClient(t, egress.Config{AllowPrivate: true, MaxResponseBytes: 99})
	resp, err = c.Post(context.Background(), srv.URL, nil, nil)
	require.NoError(t, err)
	require.Len(t, resp.Body, 99)
	require.True(t, resp.Truncated)
}

func TestPostRefusesAMalformedURLBeforeConnecting(t *testing.T) {
	t.Parallel()
	c := newClient(t, egress.Config{AllowPrivate: true})
	_, err := c.Post(context.Background(), "gopher://127.0.0.1/", nil, nil)
	require.ErrorIs(t, err, egress.ErrInvalidURL)
}

func TestNewClientRefusesNegativeBounds(t *testing.T) {
	t.Parallel()
	_, err := egress.NewClient(egress.Config{Timeout: -1})
	require.Error(t, err)
	_, err = egress.NewClient(egress.Config{MaxResponseBytes: -1})
	require.Error(t, err)
}
