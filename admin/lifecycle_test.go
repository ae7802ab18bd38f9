package admin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

func TestPatchAccountRoutes(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	e.clock.Advance(time.Minute)
	const at = "2026-11-25T09:01:00.123456Z"

	got := e.expect(e.do("PATCH", f.accountPath, `{"disabled":true}`), http.StatusOK)
	assert.Equal(t, accountKeys, keysOf(got))
	assert.Equal(t, at, got["disabledAt"])
	assert.Equal(t, "a", got["label"], "what the patch does not name is kept")

	got = e.expect(e.do("PATCH", f.accountPath, `{"description":"d2","disabled":false}`), http.StatusOK)
	assert.Nil(t, got["disabledAt"])
	assert.Equal(t, "d2", got["description"])
	assert.Equal(t, "a", got["label"])

	got = e.expect(e.do("PATCH", f.accountPath, `{"label":" renamed "}`), http.StatusOK)
	assert.Equal(t, "renamed", got["label"])
	assert.Equal(t, got, e.expect(e.do("GET", f.accountPath, ""), http.StatusOK))
}

func TestKeyRoutesOfTheLifecycle(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	keys := f.accountPath + "/api-keys"

	created := e.expect(e.do("POST", keys, `{"name":"  GitHub Actions deploy ","expiresAt":"2027-01-01T00:00:00Z"}`), http.StatusCreated)
	assert.Equal(t, createdKeyKeys, keysOf(created))
	assert.Equal(t, "GitHub Actions deploy", created["name"])
	keyPath := keys + "/" + created["id"].(string)

	e.clock.Advance(time.Minute)
	patched := e.expect(e.do("PATCH", keyPath, `{"disabled":true,"name":"deploy"}`), http.StatusOK)
	assert.Equal(t, keyKeys, keysOf(patched))
	assert.Equal(t, "deploy", patched["name"])
	assert.Equal(t, "2026-11-25T09:01:00.123456Z", patched["disabledAt"])
	assert.Nil(t, patched["replacedBy"])
	requireProblem(t, e.do("POST", keyPath+"/rotate", ""), http.StatusConflict)

	patched = e.expect(e.do("PATCH", keyPath, `{"disabled":false}`), http.StatusOK)
	assert.Nil(t, patched["disabledAt"])

	res := e.do("POST", keyPath+"/rotate", `{"gracePeriodSeconds":60}`)
	rotated := e.expect(res, http.StatusCreated)
	assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
	assert.Equal(t, []string{"created", "previous"}, keysOf(rotated))
	next := rotated["created"].(map[string]any)
	prev := rotated["previous"].(map[string]any)
	assert.Equal(t, createdKeyKeys, keysOf(next))
	assert.Equal(t, keyKeys, keysOf(prev))
	assert.True(t, strings.HasPrefix(next["key"].(string), "sa_"))
	assert.Equal(t, "deploy", next["name"], "the name is kept")
	assert.Equal(t, "2027-01-01T00:01:00.000000Z", next["expiresAt"], "the old lifetime, from now")
	assert.Equal(t, next["id"], prev["replacedBy"])
	assert.Equal(t, "2026-11-25T09:02:00.123456Z", prev["expiresAt"], "now + 60 s")
	assert.NotContains(t, string(res.body), `"hash"`)

	list := e.expect(e.do("GET", keys, ""), http.StatusOK)
	var ids []any
	for _, k := range items(t, list) {
		ids = append(ids, k["id"])
		assert.NotContains(t, k, "key", "the plaintext is shown once")
	}
	assert.Equal(t, []any{f.keyA, created["id"], next["id"]}, ids)
	requireProblem(t, e.do("POST", keyPath+"/rotate", ""), http.StatusConflict)
}

func TestPolicyRoute(t *testing.T) {
	e := newEnv(t)
	got := e.expect(e.do("GET", "/admin/policy", ""), http.StatusOK)
	assert.Equal(t, map[string]any{"maxKeysPerAccount": float64(10), "maxKeyLifetimeSeconds": float64(0),
		"defaultKeyLifetimeSeconds": float64(0), "maxRotationGraceSeconds": float64(604800),
		"leakedKeyAction": "disable", "unusedKeyDays": float64(90), "stored": false}, got)

	e = newEnvWith(t, memstore.New(), serviceaccount.Policy{MaxKeysPerAccount: serviceaccount.NoKeyLimit, MaxKeyLifetime: 90 * 24 * time.Hour, DefaultKeyLifetime: time.Hour, MaxRotationGrace: time.Minute})
	got = e.expect(e.do("GET", "/admin/policy", ""), http.StatusOK)
	assert.Equal(t, map[string]any{"maxKeysPerAccount": float64(0), "maxKeyLifetimeSeconds": float64(7776000),
		"defaultKeyLifetimeSeconds": float64(3600), "maxRotationGraceSeconds": float64(60),
		"leakedKeyAction": "disable", "unusedKeyDays": float64(90), "stored": false}, got)
}

func TestPolicyViolationsAnswerAndWriteNothing(t *testing.T) {
	e := newEnvWith(t, memstore.New(), serviceaccount.Policy{MaxKeysPerAccount: 2, MaxKeyLifetime: 24 * time.Hour, MaxRotationGrace: time.Hour})
	a := e.createAccount("a")["id"].(string)
	keys := "/admin/service-accounts/" + a + "/api-keys"
	e.expect(e.do("POST", keys, `{"expiresAt":"2026-11-26T09:00:00Z"}`), http.StatusCreated)
	k := e.expect(e.do("POST", keys, `{"expiresAt":"2026-11-26T09:00:00Z"}`), http.StatusCreated)
	before := e.do("GET", keys, "").body

	res := e.do("POST", keys, `{"expiresAt":"2026-11-26T09:00:00Z"}`)
	requireProblem(t, res, http.StatusConflict)
	assert.Contains(t, res.object(t)["detail"], "MaxKeysPerAccount is 2", "the detail names the limit")
	assert.Equal(t, []string{"expiresAt"}, requireProblem(t, e.do("POST", keys, `{}`), http.StatusBadRequest), "an expiry is required")
	assert.Equal(t, []string{"expiresAt"}, requireProblem(t, e.do("POST", keys, `{"expiresAt":"2026-11-27T09:00:00Z"}`), http.StatusBadRequest))
	rotate := keys + "/" + k["id"].(string) + "/rotate"
	assert.Equal(t, []string{"gracePeriodSeconds"}, requireProblem(t, e.do("POST", rotate, `{"gracePeriodSeconds":3601}`), http.StatusBadRequest))
	assert.Equal(t, []string{"expiresAt"}, requireProblem(t, e.do("POST", rotate, `{"expiresAt":"2026-12-25T09:00:00Z"}`), http.StatusBadRequest))
	assert.Equal(t, string(before), string(e.do("GET", keys, "").body), "nothing was written")

	e.expect(e.do("POST", rotate, `{"gracePeriodSeconds":3600}`), http.StatusCreated) // allowed at the cap
}

func TestBadLifecycleInputIsRejectedAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	keyPath := f.accountPath + "/api-keys/" + f.keyA
	rotate := keyPath + "/rotate"
	const json = "application/json"
	tests := []struct {
		name, method, target, contentType, body string
		status                                  int
		fields                                  []string
	}{
		{"PatchAccountEmptyObject", "PATCH", f.accountPath, json, `{}`, 400, nil},
		{"PatchAccountEmptyBody", "PATCH", f.accountPath, json, ``, 400, nil},
		{"PatchAccountUnknownField", "PATCH", f.accountPath, json, `{"disabled":true,"enabled":false}`, 400, []string{"enabled"}},
		{"PatchAccountDisabledAsString", "PATCH", f.accountPath, json, `{"disabled":"true"}`, 400, []string{"disabled"}},
		{"PatchAccountDisabledNull", "PATCH", f.accountPath, json, `{"disabled":null}`, 400, []string{"disabled"}},
		{"PatchAccountLabelNull", "PATCH", f.accountPath, json, `{"label":null}`, 400, []string{"label"}},
		{"PatchAccountLabelNumber", "PATCH", f.accountPath, json, `{"label":1}`, 400, []string{"label"}},
		{"PatchAccountEmptyLabel", "PATCH", f.accountPath, json, `{"label":"  ","disabled":true}`, 400, []string{"label"}},
		{"PatchAccountTwice", "PATCH", f.accountPath, json, `{"disabled":true,"disabled":false}`, 400, []string{"disabled"}},
		{"PatchAccountAsForm", "PATCH", f.accountPath, "application/x-www-form-urlencoded", `disabled=true`, 415, nil},
		{"PatchUnknownAccount", "PATCH", "/admin/service-accounts/" + newUUID(), json, `{"disabled":true}`, 404, nil},
		{"PatchKeyEmptyObject", "PATCH", keyPath, json, `{}`, 400, nil},
		{"PatchKeyUnknownField", "PATCH", keyPath, json, `{"expiresAt":null}`, 400, []string{"expiresAt"}},
		{"PatchKeyDisabledNumber", "PATCH", keyPath, json, `{"disabled":1}`, 400, []string{"disabled"}},
		{"PatchKeyNameTooLong", "PATCH", keyPath, json, `{"name":"` + strings.Repeat("x", 101) + `","disabled":true}`, 400, []string{"name"}},
		{"PatchKeyNameWithControlCharacter", "PATCH", keyPath, json, `{"name":"a\u0007b"}`, 400, []string{"name"}},
		{"PatchKeyOfAnotherAccount", "PATCH", f.accountPath + "/api-keys/" + f.keyB, json, `{"disabled":true}`, 404, nil},
		{"CreateKeyNameTooLong", "POST", f.accountPath + "/api-keys", json, `{"name":"` + strings.Repeat("ü", 101) + `"}`, 400, []string{"name"}},
		{"CreateKeyNameTwoLines", "POST", f.accountPath + "/api-keys", json, `{"name":"a\nb"}`, 400, []string{"name"}},
		{"CreateKeyNameNumber", "POST", f.accountPath + "/api-keys", json, `{"name":7}`, 400, []string{"name"}},
		{"RotateNegativeGrace", "POST", rotate, json, `{"gracePeriodSeconds":-1}`, 400, []string{"gracePeriodSeconds"}},
		{"RotateFractionalGrace", "POST", rotate, json, `{"gracePeriodSeconds":1.5}`, 400, []string{"gracePeriodSeconds"}},
		{"RotateGraceWithExponent", "POST", rotate, json, `{"gracePeriodSeconds":6e1}`, 400, []string{"gracePeriodSeconds"}},
		{"RotateGraceAsString", "POST", rotate, json, `{"gracePeriodSeconds":"60"}`, 400, []string{"gracePeriodSeconds"}},
		{"RotateGraceNull", "POST", rotate, json, `{"gracePeriodSeconds":null}`, 400, []string{"gracePeriodSeconds"}},
		{"RotateGraceAboveTheMaximum", "POST", rotate, json, `{"gracePeriodSeconds":604801}`, 400, []string{"gracePeriodSeconds"}},
		{"RotateGraceHuge", "POST", rotate, json, `{"gracePeriodSeconds":99999999999999999999}`, 400, []string{"gracePeriodSeconds"}},
		{"RotateExpiryInThePast", "POST", rotate, json, `{"expiresAt":"2020-01-01T00:00:00Z"}`, 400, []string{"expiresAt"}},
		{"RotateUnknownField", "POST", rotate, json, `{"grace":60}`, 400, []string{"grace"}},
		{"RotateNameTooLong", "POST", rotate, json, `{"name":"` + strings.Repeat("x", 101) + `"}`, 400, []string{"name"}},
		{"RotateAKeyOfAnotherAccount", "POST", f.accountPath + "/api-keys/" + f.keyB + "/rotate", "", "", 404, nil},
		{"RotateAnUnknownKey", "POST", f.accountPath + "/api-keys/" + newUUID() + "/rotate", "", "", 404, nil},
		{"RotateAsText", "POST", rotate, "text/plain", `{}`, 415, nil},
		{"HygieneNegativeDays", "GET", "/admin/api-keys?expiresWithinDays=-1", "", "", 400, []string{"expiresWithinDays"}},
		{"HygieneDaysNotANumber", "GET", "/admin/api-keys?unusedForDays=ten", "", "", 400, []string{"unusedForDays"}},
		{"HygieneDaysEmpty", "GET", "/admin/api-keys?unusedForDays=", "", "", 400, []string{"unusedForDays"}},
		{"HygieneDaysTooMany", "GET", "/admin/api-keys?unusedForDays=36501", "", "", 400, []string{"unusedForDays"}},
		{"HygieneDaysRepeated", "GET", "/admin/api-keys?unusedForDays=1&unusedForDays=2", "", "", 400, []string{"unusedForDays"}},
		{"HygieneUnknownParameter", "GET", "/admin/api-keys?expiringWithinDays=3", "", "", 400, []string{"expiringWithinDays"}},
		{"HygieneLimitZero", "GET", "/admin/api-keys?limit=0", "", "", 400, []string{"limit"}},
		{"HygieneBadCursor", "GET", "/admin/api-keys?cursor=!!", "", "", 400, []string{"cursor"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(f)
			res := e.send(tc.method, tc.target, tc.contentType, strings.NewReader(tc.body))
			fields := requireProblem(t, res, tc.status)
			assert.Equal(t, tc.fields, fields)
			assert.Equal(t, before, e.state(f), "a rejected request changed something")
		})
	}
}

func TestHygieneListRoute(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("a")["id"].(string)
	b := e.createAccount("b")["id"].(string)
	keys := func(id string) string { return "/admin/service-accounts/" + id + "/api-keys" }
	soon := e.expect(e.do("POST", keys(a), `{"expiresAt":"2026-11-28T09:00:00Z"}`), http.StatusCreated)["id"]
	later := e.expect(e.do("POST", keys(b), `{"expiresAt":"2027-11-28T09:00:00Z"}`), http.StatusCreated)["id"]
	never := e.expect(e.do("POST", keys(b), ``), http.StatusCreated)["id"]
	e.clock.Advance(40 * 24 * time.Hour)
	fresh := e.expect(e.do("POST", keys(a), ``), http.StatusCreated)["id"]

	ids := func(target string) []any {
		t.Helper()
		page := e.expect(e.do("GET", target, ""), http.StatusOK)
		assert.Equal(t, []string{"items", "nextCursor"}, keysOf(page))
		var out []any
		for _, k := range items(t, page) {
			assert.Equal(t, keyKeys, keysOf(k))
			out = append(out, k["id"])
		}
		return out
	}
	assert.Equal(t, []any{soon, later, never, fresh}, ids("/admin/api-keys"))
	assert.Equal(t, []any{soon, later, never}, ids("/admin/api-keys?unusedForDays=30"), "never used, created 40 days ago; expired keys too")
	assert.Equal(t, []any{later}, ids("/admin/api-keys?expiresWithinDays=400"), "not yet expired, expiring within the window")
	assert.Equal(t, []any{later}, ids("/admin/api-keys?expiresWithinDays=400&unusedForDays=30"))
	assert.Empty(t, ids("/admin/api-keys?expiresWithinDays=0"))

	page := e.expect(e.do("GET", "/admin/api-keys?limit=3", ""), http.StatusOK)
	require.Len(t, items(t, page), 3)
	cursor, ok := page["nextCursor"].(string)
	require.True(t, ok)
	assert.Equal(t, []any{fresh}, ids("/admin/api-keys?limit=3&cursor="+cursor))
}

func newUUID() string { return uuid.NewString() }
