package middleware_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

// A 403 names the resource key the request asked for, but only its start:
// a key read from a 1 MiB JSON body was echoed whole in the detail.
func TestForbiddenQuotesOnlyTheStartOfALongResourceKey(t *testing.T) {
	f := newFixture(t)
	h := routed(f, "POST /responses",
		middleware.Require("study", middleware.JSONBody("study"), "get-responses"), ok)
	long := strings.Repeat("é", 400_000)
	w := serve(h, request(http.MethodPost, "/responses", f.key, strings.NewReader(`{"study":"`+long+`"}`)))
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Less(t, w.Body.Len(), 2048)
	require.Contains(t, w.Body.String(), strings.Repeat("é", 10))

	var fe *middleware.ForbiddenError
	err := &middleware.ForbiddenError{ResourceType: "study", ResourceKey: long, Action: "get-responses"}
	require.ErrorAs(t, err, &fe)
	require.Less(t, len(err.Error()), 2048)
}
