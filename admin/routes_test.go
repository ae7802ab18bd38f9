package admin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

func TestAccountRoutes(t *testing.T) {
	e := newEnv(t)

	res := e.do("POST", "/admin/service-accounts", `{"label":"  nightly export ","description":"to the warehouse"}`)
	created := e.expect(res, http.StatusCreated)
	assert.Equal(t, "application/json", res.header.Get("Content-Type"))
	assert.Equal(t, accountKeys, keysOf(created))
	id := requireUUID(t, created["id"])
	assert.Equal(t, "/admin/service-accounts/"+id, res.header.Get("Location"))
	assert.Equal(t, map[string]any{
		"id": id, "tenant": "default", "label": "nightly export", "description": "to the warehouse",
		"createdAt": startJSON, "updatedAt": startJSON, "disabledAt": nil, "metadata": nil,
	}, created)

	got := e.expect(e.do("GET", res.header.Get("Location"), ""), http.StatusOK)
	assert.Equal(t, created, got)

	e.clock.Advance(90 * time.Second)
	updated := e.expect(e.do("PUT", "/admin/service-accounts/"+id, `{"label":"export"}`), http.StatusOK)
	assert.Equal(t, map[string]any{
		"id": id, "tenant": "default", "label": "export", "description": "",
		"createdAt": startJSON, "updatedAt": "2026-11-25T09:01:30.123456Z", "disabledAt": nil, "metadata": nil,
	}, updated, "PUT replaces both fields")

	list := e.expect(e.do("GET", "/admin/service-accounts", ""), http.StatusOK)
	assert.Equal(t, []string{"items", "nextCursor"}, keysOf(list))
	assert.Nil(t, list["nextCursor"])
	assert.Equal(t, []map[string]any{updated}, items(t, list))

	res = e.do("DELETE", "/admin/service-accounts/"+id, "")
	assert.Equal(t, http.StatusNoContent, res.status)
	assert.Empty(t, res.body)
	requireProblem(t, e.do("GET", "/admin/service-accounts/"+id, ""), http.StatusNotFound)
	list = e.expect(e.do("GET", "/admin/service-accounts", ""), http.StatusOK)
	assert.Equal(t, []any{}, list["items"], "an empty list is [], not null")
}

func TestDeleteAccountRemovesKeysAndPermissions(t *testing.T) {
	e := newEnv(t)
	id := e.createAccount("a")["id"].(string)
	e.createKey(id)
	e.addPermission(id, `{"resourceType":"users","resourceKey":"*","action":"*"}`)

	require.Equal(t, http.StatusNoContent, e.do("DELETE", "/admin/service-accounts/"+id, "").status)
	requireProblem(t, e.do("GET", "/admin/service-accounts/"+id+"/api-keys", ""), http.StatusNotFound)
	requireProblem(t, e.do("GET", "/admin/service-accounts/"+id+"/permissions", ""), http.StatusNotFound)
}

func TestListAccountsPaginatesInCreationOrder(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := range 5 {
		want = append(want, e.createAccount(fmt.Sprintf("account %d", i))["id"].(string))
		e.clock.Advance(time.Millisecond)
	}

	var got []string
	var pages []int
	target := "/admin/service-accounts?limit=2"
	for {
		page := e.expect(e.do("GET", target, ""), http.StatusOK)
		assert.Equal(t, []string{"items", "nextCursor"}, keysOf(page))
		its := items(t, page)
		pages = append(pages, len(its))
		for _, a := range its {
			assert.Equal(t, accountKeys, keysOf(a))
			got = append(got, a["id"].(string))
		}
		if page["nextCursor"] == nil {
			break
		}
		cursor, ok := page["nextCursor"].(string)
		require.True(t, ok)
		require.NotEmpty(t, cursor)
		require.Less(t, len(pages), 10, "pagination does not end")
		target = "/admin/service-accounts?limit=2&cursor=" + cursor
	}
	assert.Equal(t, []int{2, 2, 1}, pages)
	assert.Equal(t, want, got)

	all := e.expect(e.do("GET", "/admin/service-accounts?cursor=", ""), http.StatusOK)
	assert.Len(t, items(t, all), 5, "no limit and an empty cursor mean the defaults")
	assert.Nil(t, all["nextCursor"])

	exact := e.expect(e.do("GET", "/admin/service-accounts?limit=5", ""), http.StatusOK)
	assert.Len(t, items(t, exact), 5)
	assert.Nil(t, exact["nextCursor"], "a full last page has no next page")
}

func TestListAccountsByLabel(t *testing.T) {
	e := newEnv(t)
	var want []string
	for _, label := range []string{"Tekenradar export", "nightly", "old TEKENRADAR", "50% off"} {
		id := e.createAccount(label)["id"].(string)
		if strings.Contains(strings.ToLower(label), "tekenradar") {
			want = append(want, id)
		}
		e.clock.Advance(time.Millisecond)
	}
	page := e.expect(e.do("GET", "/admin/service-accounts?label="+url.QueryEscape(" tekenRadar "), ""), http.StatusOK)
	var got []string
	for _, a := range items(t, page) {
		got = append(got, a["id"].(string))
	}
	assert.Equal(t, want, got)
	page = e.expect(e.do("GET", "/admin/service-accounts?label=%25", ""), http.StatusOK)
	assert.Len(t, items(t, page), 1, "% is a literal")

	fields := requireProblem(t, e.do("GET", "/admin/service-accounts?label="+strings.Repeat("x", 101), ""), http.StatusBadRequest)
	assert.Contains(t, fields, "label")
	fields = requireProblem(t, e.do("GET", "/admin/service-accounts?label=a&label=b", ""), http.StatusBadRequest)
	assert.Contains(t, fields, "label")
}

func TestKeyRoutes(t *testing.T) {
	e := newEnv(t)
	accountID := e.createAccount("pipeline")["id"].(string)
	keysPath := "/admin/service-accounts/" + accountID + "/api-keys"

	res := e.do("POST", keysPath, `{"expiresAt":"2027-01-31T10:00:00.5+01:00"}`)
	created := e.expect(res, http.StatusCreated)
	assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
	assert.Equal(t, createdKeyKeys, keysOf(created))
	keyID := requireUUID(t, created["id"])
	plaintext := created["key"].(string)
	assert.True(t, strings.HasPrefix(plaintext, "sa_"))
	assert.Equal(t, map[string]any{
		"id": keyID, "serviceAccountId": accountID, "key": plaintext,
		"hint": created["hint"], "createdAt": startJSON, "lastUsedAt": nil,
		"name": "", "tenant": "default", "disabledAt": nil, "replacedBy": nil,
		"expiresAt": "2027-01-31T09:00:00.500000Z",
		"scopes":    nil, "allowedCidrs": nil, "rateLimit": nil, "metadata": nil,
	}, created)
	assert.NotContains(t, created["hint"], plaintext[3:20])

	// Every way of saying "no expiry".
	for _, tc := range []struct{ contentType, body string }{
		{"", ""}, // curl -X POST with no data
		{"application/json", " \n"},
		{"application/json", "{}"},
		{"application/json", `{"expiresAt":null}`},
	} {
		k := e.expect(e.send("POST", keysPath, tc.contentType, strings.NewReader(tc.body)), http.StatusCreated)
		assert.Equal(t, createdKeyKeys, keysOf(k))
		assert.Nil(t, k["expiresAt"], "body %q", tc.body)
	}

	e.clock.Advance(time.Minute)
	id, err := uuid.Parse(keyID)
	require.NoError(t, err)
	require.NoError(t, e.m.TouchKeys(t.Context(), []serviceaccount.KeyTouch{{KeyID: id, UsedAt: e.clock.Now()}}))

	list := e.expect(e.do("GET", keysPath, ""), http.StatusOK)
	assert.Equal(t, []string{"items", "nextCursor"}, keysOf(list))
	assert.Nil(t, list["nextCursor"])
	its := items(t, list)
	require.Len(t, its, 5)
	for _, k := range its {
		assert.Equal(t, keyKeys, keysOf(k), "a listed key never has the key itself")
	}
	first := its[0]
	delete(created, "key")
	created["lastUsedAt"] = "2026-11-25T09:01:00.123456Z"
	assert.Equal(t, created, first)

	res = e.do("DELETE", keysPath+"/"+keyID, "")
	assert.Equal(t, http.StatusNoContent, res.status)
	assert.Empty(t, res.body)
	assert.Len(t, items(t, e.expect(e.do("GET", keysPath, ""), http.StatusOK)), 4)
	requireProblem(t, e.do("DELETE", keysPath+"/"+keyID, ""), http.StatusNotFound)
}

func TestPermissionRoutes(t *testing.T) {
	e := newEnv(t)
	accountID := e.createAccount("reports")["id"].(string)
	permsPath := "/admin/service-accounts/" + accountID + "/permissions"

	limited := e.addPermission(accountID,
		`{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses","limiter":[{"surveyKey":["s2","s1"]}]}`)
	assert.Equal(t, permissionKeys, keysOf(limited))
	permID := requireUUID(t, limited["id"])
	assert.Equal(t, map[string]any{
		"id": permID, "serviceAccountId": accountID, "resourceType": "study", "resourceKey": "tekenradar",
		"action": "get-responses", "limiter": []any{map[string]any{"surveyKey": []any{"s2", "s1"}}},
		"createdAt": startJSON,
	}, limited)

	open := e.addPermission(accountID, `{"resourceType":"users","resourceKey":"*","action":"delete-users","limiter":null}`)
	assert.Equal(t, permissionKeys, keysOf(open))
	assert.Nil(t, open["limiter"])
	noLimiter := e.addPermission(accountID, `{"resourceType":"messaging","resourceKey":"sms-templates","action":"*"}`)
	assert.Nil(t, noLimiter["limiter"])

	list := e.expect(e.do("GET", permsPath, ""), http.StatusOK)
	assert.Equal(t, []string{"items", "nextCursor"}, keysOf(list))
	assert.Nil(t, list["nextCursor"])
	assert.Equal(t, []map[string]any{limited, open, noLimiter}, items(t, list))

	limiterPath := permsPath + "/" + permID + "/limiter"
	changed := e.expect(e.do("PUT", limiterPath, `{"limiter":[{"surveyKey":"s3"},{"surveyKey":"s1"}]}`), http.StatusOK)
	assert.Equal(t, permissionKeys, keysOf(changed))
	assert.Equal(t, []any{map[string]any{"surveyKey": "s3"}, map[string]any{"surveyKey": "s1"}}, changed["limiter"])
	assert.Equal(t, limited["createdAt"], changed["createdAt"])

	// The canonical form is sent as written: no HTML escaping.
	e.expect(e.do("PUT", limiterPath, `{"limiter":[{"surveyKey":"<s&1>"}]}`), http.StatusOK)
	assert.Contains(t, e.bodies[len(e.bodies)-1], `"limiter":[{"surveyKey":"<s&1>"}]`)

	removed := e.expect(e.do("PUT", limiterPath, `{"limiter":null}`), http.StatusOK)
	assert.Nil(t, removed["limiter"])

	// Keys come back sorted within an item: the canonical form.
	e.addPermission(accountID,
		`{"resourceType":"study","resourceKey":"*","action":"*","limiter":[{"surveyKey":"s1","reportKey":"r1"}]}`)
	assert.Contains(t, e.bodies[len(e.bodies)-1], `"limiter":[{"reportKey":"r1","surveyKey":"s1"}]`)

	res := e.do("DELETE", permsPath+"/"+permID, "")
	assert.Equal(t, http.StatusNoContent, res.status)
	assert.Empty(t, res.body)
	assert.Len(t, items(t, e.expect(e.do("GET", permsPath, ""), http.StatusOK)), 3)
}

func TestCatalog(t *testing.T) {
	e := newEnv(t)
	got := e.expect(e.do("GET", "/admin/catalog", ""), http.StatusOK)
	assert.Equal(t, []string{"resourceTypes"}, keysOf(got))

	types := got["resourceTypes"].([]any)
	require.Len(t, types, len(permission.DefaultResourceTypes()))
	for _, rt := range types {
		rt := rt.(map[string]any)
		assert.Equal(t, []string{"actions", "displayName", "id", "openKeys", "resourceKeys"}, keysOf(rt))
		for _, a := range rt["actions"].([]any) {
			a := a.(map[string]any)
			assert.Equal(t, []string{"id", "limiterKeys"}, keysOf(a))
			assert.NotNil(t, a["limiterKeys"], "no limiter is [], not null")
		}
	}
	users := types[2].(map[string]any)
	assert.Equal(t, "users", users["id"])
	assert.Equal(t, "Participant Users", users["displayName"])
	assert.Equal(t, []any{"*"}, users["resourceKeys"])
	assert.Equal(t, []any{
		map[string]any{"id": "delete-users", "limiterKeys": []any{}},
		map[string]any{"id": "*", "limiterKeys": []any{}},
	}, users["actions"])

	study := types[0].(map[string]any)
	assert.Equal(t, true, study["openKeys"])
	var wildcard map[string]any
	for _, a := range study["actions"].([]any) {
		if a.(map[string]any)["id"] == "*" {
			wildcard = a.(map[string]any)
		}
	}
	assert.Equal(t, []any{"reportKey", "surveyKey"}, wildcard["limiterKeys"],
		"the wildcard action offers what Validate accepts")
}

func TestLocationIncludesTheMountPrefix(t *testing.T) {
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	require.NoError(t, err)
	h, err := admin.New(m, admin.Config{})
	require.NoError(t, err)
	for _, tc := range []struct{ name, prefix string }{
		{"AtTheRoot", ""},
		{"UnderAdmin", "/admin"},
		{"UnderTwoSegments", "/api/v1/admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle(tc.prefix+"/", http.StripPrefix(tc.prefix, h))
			srv := newServer(t, mux)
			res, body := post(t, srv+tc.prefix+"/service-accounts", `{"label":"x"}`)
			require.Equal(t, http.StatusCreated, res.StatusCode, body)
			var a map[string]any
			require.NoError(t, json.Unmarshal([]byte(body), &a))
			loc := res.Header.Get("Location")
			assert.Equal(t, tc.prefix+"/service-accounts/"+a["id"].(string), loc)

			get, err := http.Get(srv + loc)
			require.NoError(t, err)
			require.NoError(t, get.Body.Close())
			assert.Equal(t, http.StatusOK, get.StatusCode, "the Location resolves")
		})
	}
}

func TestNewRefusesAMissingManager(t *testing.T) {
	_, err := admin.New(nil, admin.Config{})
	assert.ErrorContains(t, err, "non-nil *serviceaccount.Manager")
}
