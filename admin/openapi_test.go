package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

func TestOpenAPIDocumentValidatesAsOpenAPI31(t *testing.T) {
	c, err := contract() // loads and validates it
	require.NoError(t, err)
	assert.Equal(t, "3.1.0", c.doc.OpenAPI)
	assert.True(t, c.doc.IsOpenAPI31OrLater())
	assert.Equal(t, []string{"adminToken"}, slices.Collect(func(yield func(string) bool) {
		for name := range c.doc.Components.SecuritySchemes {
			yield(name)
		}
	}))
	scheme := c.doc.Components.SecuritySchemes["adminToken"].Value
	assert.Equal(t, "http", scheme.Type)
	assert.Equal(t, "bearer", scheme.Scheme)
}

// handlePattern finds the routes registered in handler.go's routes();
// tenantPattern those of tenantRoutes, each served at its path and under
// /tenants/{tenant}.
var (
	handlePattern = regexp.MustCompile(`\th\.handle\("([A-Z]+) ([^"]+)"`)
	tenantPattern = regexp.MustCompile(`\thandle\("([A-Z]+) ([^"]+)"`)
)

// The document has an operation for every route the handler serves, and
// none that it does not serve.
func TestOpenAPIDocumentHasEveryRoute(t *testing.T) {
	src, err := os.ReadFile("handler.go")
	require.NoError(t, err)
	var served []string
	for _, m := range handlePattern.FindAllStringSubmatch(string(src), -1) {
		served = append(served, m[1]+" "+m[2])
	}
	for _, m := range tenantPattern.FindAllStringSubmatch(string(src), -1) {
		served = append(served, m[1]+" "+m[2], m[1]+" /tenants/{tenant}"+m[2])
	}
	require.NotEmpty(t, served)

	c, err := contract()
	require.NoError(t, err)
	var documented []string
	for p, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+p)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	assert.Equal(t, served, documented)
}

func TestOpenAPIDocumentListsEveryAuditActionAndProblemCode(t *testing.T) {
	c, err := contract()
	require.NoError(t, err)
	var actions []string
	for _, a := range store.AuditActions() {
		actions = append(actions, string(a))
	}
	assert.ElementsMatch(t, actions, c.doc.Components.Schemas["AuditAction"].Value.Enum)

	codes := []any{codeInvalidInput, codeMalformedJSON, codeNoCredentials, codeInvalidToken,
		codeAmbiguousCredentials, codeAmbiguousHeader, "too_many_attempts", codeInvalidTenant}
	for _, code := range statusCodes {
		if !slices.Contains(codes, any(code)) {
			codes = append(codes, code)
		}
	}
	assert.ElementsMatch(t, codes, c.doc.Components.Schemas["ProblemCode"].Value.Enum)
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	require.NoError(t, err)
	api, err := New(m, Config{})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", RequireBearerToken("admin-token", api)))

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/admin/openapi.json", nil)
	req.Header.Set("Authorization", "Bearer admin-token")
	mux.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, openAPIDocument, rec.Body.Bytes())
	assert.Equal(t, openAPIDocument, OpenAPIDocument())

	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/openapi.json", nil))
	assert.Equal(t, http.StatusUnauthorized, rec.Code, "behind the same authentication as every other route")

	doc := OpenAPIDocument()
	doc[0] = 'x'
	assert.Equal(t, byte('{'), OpenAPIDocument()[0], "a caller cannot change the served document")
}

// The check itself: each kind of departure is caught, with a message that
// says what departed.
func TestContractCheckCatchesDepartures(t *testing.T) {
	const id = "0192f0c1-7a3b-7c4d-8e5f-0123456789ab"
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	getHeader := http.Header{"Content-Type": {"application/json"}, "Etag": {`"AAAAAAAAAAAAAAAAAAAAAA"`}}
	problemHeader := http.Header{"Content-Type": {"application/problem+json"}}
	account := func(label any) []byte {
		b, err := json.Marshal(map[string]any{
			"id": id, "tenant": "default", "label": label, "description": "", "createdAt": "2026-11-25T09:00:00.123456Z",
			"updatedAt": "2026-11-25T09:00:00.123456Z", "disabledAt": nil, "metadata": nil,
		})
		require.NoError(t, err)
		return b
	}
	notFound := []byte(`{"type":"urn:serviceaccounts:problem:not_found","title":"Not Found","status":404,"detail":"x","code":"not_found"}`)
	get := httptest.NewRequest("GET", "/service-accounts/"+id, nil)
	post := httptest.NewRequest("POST", "/service-accounts", nil)
	post.Header.Set("Content-Type", "application/json")

	tests := []struct {
		name    string
		req     *http.Request
		reqBody string
		status  int
		header  http.Header
		body    []byte
		want    string // "" for none
	}{
		{"Conforming", get, "", 200, getHeader, account("x"), ""},
		{"WrongType", get, "", 200, getHeader, account(5), `Error at "/label"`},
		{"MissingMember", get, "", 200, getHeader, []byte(`{"id":"` + id + `"}`), `property "label" is missing`},
		{"MissingETag", get, "", 200, jsonHeader, account("x"), `"ETag" missing`},
		{"UndocumentedStatus", get, "", 418, jsonHeader, nil, "status is not supported"},
		{"WrongContentType", get, "", 200, http.Header{"Content-Type": {"text/plain"}, "Etag": getHeader["Etag"]}, account("x"), "text/plain"},
		{"AcceptsWhatTheDocumentRefuses", post, `{"label":"x","extra":1}`, 201,
			http.Header{"Content-Type": {"application/json"}, "Location": {"/x"}}, account("x"), "a request the document refuses"},
		{"RefusesWhatTheDocumentRefuses", post, `{"label":"x","extra":1}`, 400, problemHeader,
			[]byte(`{"type":"urn:serviceaccounts:problem:invalid_input","title":"Bad Request","status":400,"detail":"x","code":"invalid_input","errors":[{"field":"extra","message":"x"}]}`), ""},
		{"MissingRequiredHeader", post, `{"label":"x"}`, 201, jsonHeader, account("x"), "Location"},
		{"UnknownPathAnswered", httptest.NewRequest("GET", "/nothing", nil), "", 200, jsonHeader, []byte(`{}`), "must be 404"},
		{"UnknownPath404", httptest.NewRequest("GET", "/nothing", nil), "", 404, problemHeader, notFound, ""},
		{"WrongMethodWithoutAllow", httptest.NewRequest("PUT", "/catalog", nil), "", 405, problemHeader,
			[]byte(`{"type":"urn:serviceaccounts:problem:method_not_allowed","title":"Method Not Allowed","status":405,"detail":"x","code":"method_not_allowed"}`), "Allow"},
		{"ProblemCodeOfAnotherStatus", get, "", 404, problemHeader,
			[]byte(`{"type":"urn:serviceaccounts:problem:conflict","title":"Not Found","status":404,"detail":"x","code":"conflict"}`), "not_found"},
		{"ProblemTypeNotItsCode", get, "", 404, problemHeader,
			[]byte(`{"type":"about:blank","title":"Not Found","status":404,"detail":"x","code":"not_found"}`), "urn:serviceaccounts:problem:not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkExchange(tc.req, []byte(tc.reqBody), tc.status, tc.header, tc.body)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tc.want), "%v", err)
		})
	}
}
