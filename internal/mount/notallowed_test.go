package mount_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/internal/mount"
)

func TestMethodNotAllowed(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(http.ResponseWriter, *http.Request) {})

	h, pattern := mux.Handler(httptest.NewRequest(http.MethodPost, "/things/1", nil))
	require.Empty(t, pattern)
	allow, ok := mount.MethodNotAllowed(h, httptest.NewRequest(http.MethodPost, "/things/1", nil))
	require.True(t, ok, "a route for another method is a 405")
	require.Equal(t, "GET, HEAD", allow)

	allow, ok = mount.MethodNotAllowed(mux, httptest.NewRequest(http.MethodGet, "/nothing", nil))
	require.False(t, ok, "no route at all is a 404")
	require.Empty(t, allow)
}
