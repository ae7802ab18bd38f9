package adminclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminclient"
)

// requireAPIError asserts err is an *adminclient.Error matching sentinel
// and without the admin token, and returns it.
func requireAPIError(t *testing.T, err error, sentinel error) *adminclient.Error {
	t.Helper()
	require.ErrorIs(t, err, sentinel)
	var apiErr *adminclient.Error
	require.ErrorAs(t, err, &apiErr)
	assert.NotContains(t, err.Error(), testToken)
	assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), testToken)
	return apiErr
}

func TestErrorsAreDecodedFromProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	t.Run("NotFound", func(t *testing.T) {
		_, _, err := c.GetAccount(ctx, "00000000-0000-4000-8000-000000000000")
		apiErr := requireAPIError(t, err, adminclient.ErrNotFound)
		assert.Equal(t, 404, apiErr.Status)
		assert.Equal(t, "not_found", apiErr.Code)
		assert.Equal(t, "urn:serviceaccounts:problem:not_found", apiErr.Type)
		assert.Equal(t, "Not Found", apiErr.Title)
		assert.Equal(t, "There is no service account with this id.", apiErr.Detail)
		assert.Equal(t, "adminclient: GET /service-accounts/00000000-0000-4000-8000-000000000000: 404 not_found: There is no service account with this id.", err.Error())
		assert.NotErrorIs(t, err, adminclient.ErrConflict)
	})

	t.Run("InvalidInputWithFields", func(t *testing.T) {
		_, err := c.CreateAccount(ctx, adminclient.AccountInput{Label: ""})
		apiErr := requireAPIError(t, err, adminclient.ErrInvalidInput)
		assert.Equal(t, 400, apiErr.Status)
		assert.Equal(t, "invalid_input", apiErr.Code)
		require.Len(t, apiErr.Fields, 1)
		assert.Equal(t, "label", apiErr.Fields[0].Field)
		assert.NotEmpty(t, apiErr.Fields[0].Message)
	})

	t.Run("ConflictAndStaleETag", func(t *testing.T) {
		a, err := c.CreateAccount(ctx, adminclient.AccountInput{Label: "x"})
		require.NoError(t, err)
		grant := adminclient.PermissionInput{ResourceType: "users", ResourceKey: "*", Action: "delete-users"}
		_, err = c.GrantPermission(ctx, a.ID, grant)
		require.NoError(t, err)
		_, err = c.GrantPermission(ctx, a.ID, grant)
		assert.Equal(t, "conflict", requireAPIError(t, err, adminclient.ErrConflict).Code)

		_, etag, err := c.GetAccount(ctx, a.ID)
		require.NoError(t, err)
		_, _, err = c.PatchAccount(ctx, a.ID, adminclient.AccountPatch{Description: ptr("changed")})
		require.NoError(t, err)
		_, _, err = c.UpdateAccount(ctx, a.ID, adminclient.AccountInput{Label: "lost update"}, adminclient.IfMatch(etag))
		assert.Equal(t, "precondition_failed", requireAPIError(t, err, adminclient.ErrPreconditionFailed).Code)
		got, _, err := c.GetAccount(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "x", got.Label, "the stale update was not applied")
	})

	t.Run("BadIDsFailBeforeTheRequest", func(t *testing.T) {
		for _, id := range []string{"", ".", ".."} {
			err := c.DeleteKey(ctx, "00000000-0000-4000-8000-000000000000", id)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "is not an id")
			var apiErr *adminclient.Error
			assert.False(t, errors.As(err, &apiErr), "no request was sent")
		}
	})
}

func TestWrongTokenIsUnauthorizedThenThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const wrong = "wrong-token-b81c4e"
	bad := e.newClient(t, wrong)

	_, err := bad.ListAccounts(ctx, adminclient.ListParams{})
	apiErr := requireAPIError(t, err, adminclient.ErrUnauthorized)
	assert.Equal(t, "invalid_token", apiErr.Code)
	assert.NotContains(t, err.Error(), wrong)

	// auththrottle's default: 10 wrong tokens a minute, then 429 for
	// every token from this client, the right one included.
	for range 9 {
		_, err = bad.Policy(ctx)
		require.ErrorIs(t, err, adminclient.ErrUnauthorized)
	}
	_, err = e.client.Policy(ctx)
	apiErr = requireAPIError(t, err, adminclient.ErrTooManyAttempts)
	assert.Equal(t, "too_many_attempts", apiErr.Code)
	assert.Positive(t, apiErr.RetryAfter)
}

func TestAnswerThatIsNotAProblemStillGivesTheStatus(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusBadGateway)
		// A large body: the client reads a bounded prefix only.
		_, _ = w.Write([]byte("<html>" + strings.Repeat("x", 1<<20) + "</html>"))
	}))
	t.Cleanup(srv.Close)
	c, err := adminclient.New(srv.URL, adminclient.Config{Token: testToken})
	require.NoError(t, err)

	_, err = c.Catalog(context.Background())
	var apiErr *adminclient.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.Status)
	assert.Empty(t, apiErr.Code)
	assert.Equal(t, "Bad Gateway", apiErr.Title)
	assert.Equal(t, 30e9, float64(apiErr.RetryAfter))
	assert.Equal(t, "adminclient: GET /catalog: 502 Bad Gateway (the answer is not a problem document)", err.Error())
	for _, s := range []error{adminclient.ErrNotFound, adminclient.ErrInvalidInput, adminclient.ErrUnavailable} {
		assert.NotErrorIs(t, err, s)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	var sawToken bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawToken = r.Header.Get("Authorization") != ""
	}))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusTemporaryRedirect))
	t.Cleanup(srv.Close)
	c, err := adminclient.New(srv.URL+"/admin", adminclient.Config{Token: testToken})
	require.NoError(t, err)

	err = c.DeleteAccount(context.Background(), "00000000-0000-4000-8000-000000000000")
	var apiErr *adminclient.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusTemporaryRedirect, apiErr.Status)
	assert.False(t, sawToken)
}

// An id that would name another resource (empty: the collection; "." or
// "..": a parent once a proxy cleans the path) fails in every method
// before a request is sent, and any other id is one escaped path segment.
func TestIDsAreOnePathSegment(t *testing.T) {
	t.Parallel()
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath())
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"status":404,"code":"not_found","detail":"no"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := adminclient.New(srv.URL+"/admin", adminclient.Config{Token: testToken})
	require.NoError(t, err)
	ctx := context.Background()
	const ok = "00000000-0000-4000-8000-000000000000"
	calls := map[string]func(a, b string) error{
		"GetAccount":      func(a, _ string) error { _, _, err := c.GetAccount(ctx, a); return err },
		"UpdateAccount":   func(a, _ string) error { _, _, err := c.UpdateAccount(ctx, a, adminclient.AccountInput{}); return err },
		"PatchAccount":    func(a, _ string) error { _, _, err := c.PatchAccount(ctx, a, adminclient.AccountPatch{}); return err },
		"DeleteAccount":   func(a, _ string) error { return c.DeleteAccount(ctx, a) },
		"ListKeys":        func(a, _ string) error { _, err := c.ListKeys(ctx, a, adminclient.ListParams{}); return err },
		"CreateKey":       func(a, _ string) error { _, err := c.CreateKey(ctx, a, adminclient.KeyInput{}); return err },
		"GetKey":          func(a, b string) error { _, _, err := c.GetKey(ctx, a, b); return err },
		"PatchKey":        func(a, b string) error { _, _, err := c.PatchKey(ctx, a, b, adminclient.KeyPatch{}); return err },
		"DeleteKey":       func(a, b string) error { return c.DeleteKey(ctx, a, b) },
		"RotateKey":       func(a, b string) error { _, err := c.RotateKey(ctx, a, b, adminclient.RotateInput{}); return err },
		"ListPermissions": func(a, _ string) error { _, err := c.ListPermissions(ctx, a, adminclient.ListParams{}); return err },
		"GrantPermission": func(a, _ string) error {
			_, err := c.GrantPermission(ctx, a, adminclient.PermissionInput{})
			return err
		},
		"GetPermission":    func(a, b string) error { _, _, err := c.GetPermission(ctx, a, b); return err },
		"SetLimiter":       func(a, b string) error { _, _, err := c.SetLimiter(ctx, a, b, nil); return err },
		"RevokePermission": func(a, b string) error { return c.RevokePermission(ctx, a, b) },
	}
	for name, call := range calls {
		for _, bad := range []string{"", ".", ".."} {
			err := call(bad, ok)
			require.Error(t, err, name)
			assert.Contains(t, err.Error(), "is not an id", name)
			if err := call(ok, bad); err != nil && !errors.Is(err, adminclient.ErrNotFound) {
				assert.Contains(t, err.Error(), "is not an id", name)
			}
		}
	}
	// Only the calls with a good account id and no second id were sent.
	for _, p := range paths {
		assert.NotContains(t, p, "/.", p)
		assert.NotContains(t, p, "//", p)
	}

	paths = nil
	_, _, err = c.GetKey(ctx, "a/b", "c?d")
	require.ErrorIs(t, err, adminclient.ErrNotFound)
	assert.Equal(t, []string{"/admin/service-accounts/a%2Fb/api-keys/c%3Fd"}, paths)
}
