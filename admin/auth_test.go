package admin_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

func TestRequireBearerToken(t *testing.T) {
	const token = "s3cret-admin-token"
	// next is the API itself: every exchange of this binary is checked
	// against the OpenAPI document, so a stand-in answering 418 would not do.
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	require.NoError(t, err)
	next, err := admin.New(m, admin.Config{})
	require.NoError(t, err)
	h := admin.RequireBearerToken(token, next)

	tests := []struct {
		name          string
		authorization []string
		want          int
	}{
		{"NoHeader", nil, http.StatusUnauthorized},
		{"EmptyHeader", []string{""}, http.StatusUnauthorized},
		{"SchemeOnly", []string{"Bearer"}, http.StatusUnauthorized},
		{"EmptyToken", []string{"Bearer "}, http.StatusUnauthorized},
		{"WrongToken", []string{"Bearer nope"}, http.StatusUnauthorized},
		{"Prefix", []string{"Bearer " + token[:len(token)-1]}, http.StatusUnauthorized},
		{"Extension", []string{"Bearer " + token + "x"}, http.StatusUnauthorized},
		{"OtherScheme", []string{"Basic " + token}, http.StatusUnauthorized},
		{"NoScheme", []string{token}, http.StatusUnauthorized},
		{"Correct", []string{"Bearer " + token}, http.StatusOK},
		{"SchemeInLowerCase", []string{"bearer " + token}, http.StatusOK},
		// More than one header is refused whatever the values: a proxy in
		// front might check another one than the one used.
		{"TwoHeadersFirstWrong", []string{"Bearer nope", "Bearer " + token}, http.StatusBadRequest},
		{"TwoHeadersFirstRight", []string{"Bearer " + token, "Bearer nope"}, http.StatusBadRequest},
		{"TwoHeadersBothRight", []string{"Bearer " + token, "Bearer " + token}, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/service-accounts", nil)
			for _, v := range tc.authorization {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tc.want, rec.Code)
			if tc.want == http.StatusOK {
				return
			}
			res := &response{status: rec.Code, header: rec.Header()}
			var err error
			res.body, err = io.ReadAll(rec.Body)
			require.NoError(t, err)
			requireProblem(t, res, tc.want)
			if tc.want == http.StatusBadRequest {
				assert.Equal(t, "ambiguous_credentials", res.object(t)["code"])
			} else {
				assert.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"))
			}
			assert.NotContains(t, string(res.body), token)
		})
	}

	assert.PanicsWithValue(t, "admin: RequireBearerToken needs a non-empty token", func() {
		admin.RequireBearerToken("", next)
	})
}
