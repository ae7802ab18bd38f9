package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

// blockingWriter holds every write until released, as a stalled stderr
// (a full pipe) would.
type blockingWriter struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.entered <- struct{}{}
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestAccessLogDropsAndCountsWhenItsWriterStalls(t *testing.T) {
	out := &blockingWriter{entered: make(chan struct{}, 10), release: make(chan struct{})}
	l := newAccessLog(out)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := func(i int) accessRecord {
		return accessRecord{at: at, method: "GET", path: fmt.Sprintf("/r/%d", i), status: 200}
	}
	// Enough lines to wake the writer, which then stalls in its write.
	for i := range accessLogWakeAt {
		l.add(rec(i))
	}
	select {
	case <-out.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer did not start writing")
	}
	// The stalled writer holds nothing up: the queue fills, then lines are
	// dropped and counted, and add never blocks.
	for i := range accessLogQueue + 5 {
		l.add(rec(accessLogWakeAt + i))
	}
	require.EqualValues(t, 5, l.dropped.Load())

	close(out.release)
	l.Close()
	logs := out.buf.String()
	require.Contains(t, logs, "path=/r/0 ")
	require.Contains(t, logs, fmt.Sprintf("path=/r/%d ", accessLogWakeAt+accessLogQueue-1))
	require.NotContains(t, logs, fmt.Sprintf("path=/r/%d ", accessLogWakeAt+accessLogQueue))
	require.Contains(t, logs, "lines dropped")
	require.Contains(t, logs, "dropped=5")
	require.Equal(t, accessLogWakeAt+accessLogQueue+1, strings.Count(logs, "\n"))
}

func TestAccessLogBoundsThePathAndRecordsTheStatus(t *testing.T) {
	var out bytes.Buffer
	l := newAccessLog(&out)
	h := l.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	long := "/" + strings.Repeat("a", 10_000)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", long, nil))
	odd := httptest.NewRequest("GET", "/", nil)
	odd.URL.Path = "/x\n\"y" // as a client may send it, percent-encoded
	h.ServeHTTP(httptest.NewRecorder(), odd)
	l.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 2)
	require.Contains(t, lines[0], "status=418")
	require.Less(t, len(lines[0]), maxLoggedField+200)
	require.Contains(t, lines[1], `path="/x\n\"y"`, "quoted: a path cannot forge a line")
}

// A key pasted where an id belongs (GET /admin/service-accounts/sa_…)
// must not reach the log with the path.
func TestAccessLogNeverHoldsAKeyPastedIntoThePath(t *testing.T) {
	key, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(t, err)
	var out bytes.Buffer
	l := newAccessLog(&out)
	h := l.wrap(http.NotFoundHandler())
	for _, p := range []string{
		"/admin/service-accounts/" + key,
		"/admin/service-accounts/01a22426-e988-799e-bc99-73741a00ae42/api-keys/" + key + "/rotate",
		"/v1/" + key[3:45],
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", p, nil))
	}
	l.Close()
	require.Equal(t, 3, strings.Count(out.String(), "path="))
	require.Equal(t, 3, strings.Count(out.String(), apikey.Redacted))
	require.NotContains(t, out.String(), key[3:45])
	require.Contains(t, out.String(), "01a22426-e988-799e-bc99-73741a00ae42", "ids stay readable")
}
