package admin_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyRestrictionsAreSetShownPatchedAndRotated(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	keys := f.accountPath + "/api-keys"

	created := e.expect(e.do("POST", keys, `{"name":"scoped",
		"scopes":[{"resourceType":"study","resourceKey":"s","action":"get-reports"}],
		"allowedCidrs":["10.0.0.0/8","192.0.2.7","2001:db8::/32"],
		"rateLimit":{"limit":10,"periodSeconds":60},
		"metadata":{"environment":"staging","tier":2,"beta":true}}`), http.StatusCreated)
	assert.Equal(t, createdKeyKeys, keysOf(created))
	assert.Equal(t, []any{map[string]any{"resourceType": "study", "resourceKey": "s", "action": "get-reports"}}, created["scopes"])
	assert.Equal(t, []any{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}, created["allowedCidrs"], "canonical form")
	assert.Equal(t, map[string]any{"limit": float64(10), "periodSeconds": float64(60)}, created["rateLimit"])
	assert.Equal(t, map[string]any{"environment": "staging", "tier": float64(2), "beta": true}, created["metadata"])
	keyPath := keys + "/" + created["id"].(string)

	res := e.do("GET", keyPath, "")
	got := e.expect(res, http.StatusOK)
	for _, name := range []string{"scopes", "allowedCidrs", "rateLimit", "metadata"} {
		assert.Equal(t, created[name], got[name], name)
	}
	etag := res.header.Get("ETag")

	// PATCH replaces each member it names whole; null removes one.
	patched := e.expect(e.do("PATCH", keyPath, `{"allowedCidrs":null,"metadata":{"environment":"production"}}`), http.StatusOK)
	assert.Nil(t, patched["allowedCidrs"])
	assert.Equal(t, map[string]any{"environment": "production"}, patched["metadata"])
	assert.Equal(t, created["scopes"], patched["scopes"], "kept")
	assert.Equal(t, created["rateLimit"], patched["rateLimit"], "kept")
	assert.NotEqual(t, etag, e.do("GET", keyPath, "").header.Get("ETag"), "the ETag changes with the restrictions")

	// A rotation copies what its body does not replace.
	rotated := e.expect(e.do("POST", keyPath+"/rotate", `{"gracePeriodSeconds":0,"rateLimit":null,"scopes":[{"resourceType":"users","resourceKey":"*","action":"*"}]}`), http.StatusCreated)
	next := rotated["created"].(map[string]any)
	assert.Nil(t, next["rateLimit"])
	assert.Equal(t, []any{map[string]any{"resourceType": "users", "resourceKey": "*", "action": "*"}}, next["scopes"])
	assert.Equal(t, patched["metadata"], next["metadata"], "copied")
	assert.Nil(t, next["allowedCidrs"], "copied (none)")
	prev := rotated["previous"].(map[string]any)
	assert.Equal(t, patched["scopes"], prev["scopes"], "the old key keeps its own")

	// A key without restrictions shows them as null.
	plain := e.expect(e.do("POST", keys, `{"scopes":null,"metadata":null}`), http.StatusCreated)
	for _, name := range []string{"scopes", "allowedCidrs", "rateLimit", "metadata"} {
		assert.Nil(t, plain[name], name)
	}
}

func TestBadRestrictionsAre400NamingTheFieldAndWriteNothing(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	keys := f.accountPath + "/api-keys"
	keyPath := keys + "/" + f.keyA
	for _, tc := range []struct{ body, field string }{
		{`{"scopes":[]}`, "scopes"},
		{`{"scopes":"study"}`, "scopes"},
		{`{"scopes":[{"resourceType":"study","resourceKey":"s","action":"get-reports"},{"resourceType":"study","resourceKey":"s","action":"fly"}]}`, "scopes[1].action"},
		{`{"scopes":[{"resourceType":"nope","resourceKey":"s","action":"x"}]}`, "scopes[0].resourceType"},
		{`{"scopes":[{"resourceType":"study","resourceKey":"s"}]}`, "scopes[0].action"},
		{`{"scopes":[{"resourceType":"study","resourceKey":"s","action":"x","extra":1}]}`, "scopes"},
		{`{"scopes":[{"ResourceType":"study","resourceKey":"s","action":"x"}]}`, "scopes"},
		{`{"allowedCidrs":[]}`, "allowedCidrs"},
		{`{"allowedCidrs":["10.0.0.1/8"]}`, "allowedCidrs[0]"},
		{`{"allowedCidrs":["10.0.0.0/8","nope"]}`, "allowedCidrs[1]"},
		{`{"allowedCidrs":"10.0.0.0/8"}`, "allowedCidrs"},
		{`{"rateLimit":{"limit":0,"periodSeconds":60}}`, "rateLimit.limit"},
		{`{"rateLimit":{"limit":10,"periodSeconds":86401}}`, "rateLimit.periodSeconds"},
		{`{"rateLimit":{"limit":10,"periodSeconds":99999999999999999999}}`, "rateLimit.periodSeconds"},
		{`{"rateLimit":{"limit":10,"periodSeconds":1.5}}`, "rateLimit"},
		{`{"rateLimit":{"limit":10}}`, "rateLimit"},
		{`{"rateLimit":10}`, "rateLimit"},
		{`{"metadata":{"environment":{"nested":true}}}`, "metadata.environment"},
		{`{"metadata":{"bad name":"x"}}`, "metadata.bad name"},
		{`{"metadata":[1]}`, "metadata"},
		{`{"metadata":{"a":null}}`, "metadata.a"},
	} {
		before := e.state(f)
		for _, target := range []struct{ method, path string }{{"POST", keys}, {"PATCH", keyPath}, {"POST", keyPath + "/rotate"}} {
			fields := requireProblem(t, e.do(target.method, target.path, tc.body), http.StatusBadRequest)
			assert.Contains(t, fields, tc.field, "%s %s %s", target.method, target.path, tc.body)
		}
		require.Equal(t, before, e.state(f), "nothing was written for %s", tc.body)
	}
}

func TestAccountMetadataRoutes(t *testing.T) {
	e := newEnv(t)
	created := e.expect(e.do("POST", "/admin/service-accounts", `{"label":"x","metadata":{"environment":"staging"}}`), http.StatusCreated)
	assert.Equal(t, map[string]any{"environment": "staging"}, created["metadata"])
	path := "/admin/service-accounts/" + created["id"].(string)

	put := e.expect(e.do("PUT", path, `{"label":"y"}`), http.StatusOK)
	assert.Equal(t, created["metadata"], put["metadata"], "PUT without metadata keeps it")
	patched := e.expect(e.do("PATCH", path, `{"metadata":{"environment":"production","n":1.5}}`), http.StatusOK)
	assert.Equal(t, map[string]any{"environment": "production", "n": 1.5}, patched["metadata"])
	put = e.expect(e.do("PUT", path, `{"label":"y","metadata":null}`), http.StatusOK)
	assert.Nil(t, put["metadata"], "PUT with null clears it")
	assert.Equal(t, put, e.expect(e.do("GET", path, ""), http.StatusOK))

	fields := requireProblem(t, e.do("PATCH", path, `{"metadata":{"x":"ok","y/z":1}}`), http.StatusBadRequest)
	assert.Equal(t, []string{"metadata.y/z"}, fields)
	fields = requireProblem(t, e.do("POST", "/admin/service-accounts", `{"label":"z","metadata":{"deep":[1]}}`), http.StatusBadRequest)
	assert.Equal(t, []string{"metadata.deep"}, fields)
}
