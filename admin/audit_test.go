package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

var auditEventKeys = []string{"action", "actor", "details", "id", "occurredAt", "serviceAccountId", "targetId", "tenant"}

func newAuditEnv(t *testing.T) *env {
	return newEnvWithStore(t, memstore.New(), admin.Config{Actor: admin.RequestActor("admin-token")})
}

func TestAuditEventsRecordEveryChangeWithTheActorNewestFirst(t *testing.T) {
	e := newAuditEnv(t)
	id := e.createAccount("nightly export")["id"].(string)
	e.clock.Advance(time.Second)
	e.expect(e.do("PUT", "/admin/service-accounts/"+id, `{"label":"export","description":"d"}`), http.StatusOK)
	e.clock.Advance(time.Second)
	key := e.createKey(id)
	e.clock.Advance(time.Second)
	e.expect(e.do("PATCH", "/admin/service-accounts/"+id+"/api-keys/"+key["id"].(string), `{"disabled":true}`), http.StatusOK)
	e.clock.Advance(time.Second)
	e.expect(e.do("PATCH", "/admin/service-accounts/"+id+"/api-keys/"+key["id"].(string), `{"disabled":false}`), http.StatusOK)
	e.clock.Advance(time.Second)
	rotated := e.expect(e.do("POST", "/admin/service-accounts/"+id+"/api-keys/"+key["id"].(string)+"/rotate", `{"gracePeriodSeconds":0}`), http.StatusCreated)
	newKey := rotated["created"].(map[string]any)
	e.clock.Advance(time.Second)
	e.expect(e.do("PATCH", "/admin/service-accounts/"+id, `{"disabled":true}`), http.StatusOK)
	e.clock.Advance(time.Second)
	perm := e.addPermission(id, `{"resourceType":"study","resourceKey":"s1","action":"get-responses","limiter":[{"surveyKey":"intake"}]}`)
	permID := perm["id"].(string)
	e.clock.Advance(time.Second)
	e.expect(e.do("PUT", "/admin/service-accounts/"+id+"/permissions/"+permID+"/limiter", `{"limiter":null}`), http.StatusOK)
	e.clock.Advance(time.Second)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", "/admin/service-accounts/"+id+"/permissions/"+permID, "").status)
	e.clock.Advance(time.Second)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", "/admin/service-accounts/"+id+"/api-keys/"+key["id"].(string), "").status)
	e.clock.Advance(time.Second)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", "/admin/service-accounts/"+id, "").status)

	page := e.expect(e.do("GET", "/admin/audit-events?serviceAccountId="+id, ""), http.StatusOK)
	assert.Equal(t, []string{"items", "nextCursor"}, keysOf(page))
	assert.Nil(t, page["nextCursor"])
	events := items(t, page)
	var actions []string
	for _, ev := range events {
		assert.Equal(t, auditEventKeys, keysOf(ev))
		assert.Equal(t, map[string]any{"id": "admin-token", "address": "192.0.2.1:1234", "userAgent": ""}, ev["actor"],
			"httptest's remote address, and no User-Agent")
		assert.Equal(t, id, ev["serviceAccountId"])
		requireUUID(t, ev["id"])
		actions = append(actions, ev["action"].(string))
	}
	assert.Equal(t, []string{
		"account.delete", "key.delete", "permission.delete", "permission.update", "permission.create",
		"account.disable", "key.rotate", "key.enable", "key.disable", "key.create", "account.update", "account.create",
	}, actions, "newest first, and still there after the account was deleted")
	assert.Equal(t, "2026-11-25T09:00:11.123456Z", events[0]["occurredAt"])
	assert.Nil(t, events[0]["targetId"], "account events have no target")
	assert.Equal(t, key["id"], events[9]["targetId"])
	assert.Equal(t, key["id"], events[6]["targetId"], "a rotation's target is the old key")
	assert.Equal(t, permID, events[3]["targetId"])
	assert.Equal(t, map[string]any{
		"before": map[string]any{"label": "nightly export", "description": "", "disabledAt": nil},
		"after":  map[string]any{"label": "export", "description": "d", "disabledAt": nil},
	}, events[10]["details"])
	assert.Equal(t, map[string]any{"hint": key["hint"], "id": key["id"], "name": "", "expiresAt": nil, "disabledAt": nil, "replacedBy": nil},
		events[9]["details"].(map[string]any)["after"])
	rotation := events[6]["details"].(map[string]any)
	assert.Equal(t, newKey["id"], rotation["created"].(map[string]any)["id"])
	assert.Equal(t, newKey["hint"], rotation["created"].(map[string]any)["hint"])
	assert.Equal(t, newKey["id"], rotation["after"].(map[string]any)["replacedBy"])
	limiterChange := events[3]["details"].(map[string]any)
	assert.Equal(t, []any{map[string]any{"surveyKey": "intake"}}, limiterChange["before"].(map[string]any)["limiter"])
	assert.Nil(t, limiterChange["after"].(map[string]any)["limiter"])

	raw := e.do("GET", "/admin/audit-events", "").body
	assert.NotContains(t, string(raw), key["key"].(string), "never the key")
	assert.NotContains(t, string(raw), newKey["key"].(string), "never the rotated key")
}

func TestAuditEventsPaginateAndFilter(t *testing.T) {
	e := newAuditEnv(t)
	one := e.createAccount("one")["id"].(string)
	e.clock.Advance(time.Minute)
	two := e.createAccount("two")["id"].(string)
	e.clock.Advance(time.Minute)
	for range 3 {
		e.createKey(one)
	}

	var got []string
	target := "/admin/audit-events?limit=2"
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		page := e.expect(e.do("GET", target, ""), http.StatusOK)
		for _, ev := range items(t, page) {
			got = append(got, ev["action"].(string)+" "+ev["serviceAccountId"].(string))
		}
		if page["nextCursor"] == nil {
			break
		}
		target = "/admin/audit-events?limit=2&cursor=" + page["nextCursor"].(string)
	}
	assert.Equal(t, []string{"key.create " + one, "key.create " + one, "key.create " + one, "account.create " + two, "account.create " + one}, got)

	q := url.Values{"action": {"account.create"}, "since": {"2026-11-25T09:01:00Z"}, "until": {"2026-11-25T11:00:00+01:00"}}
	page := e.expect(e.do("GET", "/admin/audit-events?"+q.Encode(), ""), http.StatusOK)
	require.Len(t, items(t, page), 1)
	assert.Equal(t, two, items(t, page)[0]["serviceAccountId"])

	page = e.expect(e.do("GET", "/admin/audit-events?actorId=someone-else", ""), http.StatusOK)
	assert.Equal(t, []any{}, page["items"])
	page = e.expect(e.do("GET", "/admin/audit-events?actorId=admin-token&limit=200", ""), http.StatusOK)
	assert.Len(t, items(t, page), 5)
}

func TestAuditEventsFiltersAreValidated(t *testing.T) {
	e := newAuditEnv(t)
	for query, fields := range map[string][]string{
		"serviceAccountId=nope":                                 {"serviceAccountId"},
		"serviceAccountId=0192f0c17a3b7c4d8e5f0123456789ab":     {"serviceAccountId"},
		"serviceAccountId=":                                     {"serviceAccountId"},
		"serviceAccountId=00000000-0000-0000-0000-000000000000": {"serviceAccountId"},
		"action=account.explode":                                {"action"},
		"action=":                                               {"action"},
		"actorId=" + strings.Repeat("x", 201):                   {"actorId"},
		"actorId=%00":                                           {"actorId"},
		"since=yesterday":                                       {"since"},
		"since=2026-11-25":                                      {"since"},
		"until=2026-11-25T09:00:00%2B24:00":                     {"until"},
		"since=10000-01-01T00:00:00Z":                           {"since"},
		"since=9999-12-31T23:00:00-23:00":                       {"since"},
		"until=2026-11-25T09:00:00":                             {"until"},
		"since=2026-11-25T09:00:01Z&until=2026-11-25T09:00:00Z": {"since"},
		"since=2026-11-25T09:00:00Z&since=2026-11-26T09:00:00Z": {"since"},
		"limit=0":                           {"limit"},
		"limit=201":                         {"limit"},
		"limit=+5":                          {"limit"},
		"limit=abc":                         {"limit"},
		"cursor=garbage!":                   {"cursor"},
		"cursor=AAAA":                       {"cursor"},
		"cursor=" + strings.Repeat("A", 33): {"cursor"},
		"serviceAccountID=0192f0c1-7a3b-7c4d-8e5f-0123456789ab": {"serviceAccountID"},
		"action=nope&limit=0&since=x":                           {"action", "limit", "since"},
	} {
		res := e.do("GET", "/admin/audit-events?"+query, "")
		require.Equal(t, http.StatusBadRequest, res.status, query)
		got := requireProblem(t, res, http.StatusBadRequest)
		assert.ElementsMatch(t, fields, got, query)
	}
}

func TestAuditEventsCursorOfAnotherListIsRefused(t *testing.T) {
	e := newAuditEnv(t)
	e.createAccount("a")
	e.createAccount("b")
	page := e.expect(e.do("GET", "/admin/service-accounts?limit=1", ""), http.StatusOK)
	cursor := page["nextCursor"].(string)
	fields := requireProblem(t, e.do("GET", "/admin/audit-events?cursor="+cursor, ""), http.StatusBadRequest)
	assert.Equal(t, []string{"cursor"}, fields, "an accounts cursor is not an audit cursor")
}

func TestAnActorTheLogCannotHoldRefusesTheChange(t *testing.T) {
	e := newEnvWithStore(t, memstore.New(), admin.Config{Actor: func(*http.Request) (serviceaccount.Actor, bool) {
		return serviceaccount.Actor{ID: ""}, true
	}})
	fields := requireProblem(t, e.do("POST", "/admin/service-accounts", `{"label":"a"}`), http.StatusBadRequest)
	assert.Equal(t, []string{"actor.id"}, fields)
	page := e.expect(e.do("GET", "/admin/service-accounts", ""), http.StatusOK)
	assert.Equal(t, []any{}, page["items"], "nothing was written")
	page = e.expect(e.do("GET", "/admin/audit-events", ""), http.StatusOK)
	assert.Equal(t, []any{}, page["items"])
}

func TestRequestActorFitsAnyUserAgentIntoTheLog(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("User-Agent", "bad\xffbytes\t"+strings.Repeat("é", 600))
	a, ok := admin.RequestActor("ops")(r)
	require.True(t, ok)
	assert.Equal(t, "ops", a.ID)
	assert.Equal(t, "192.0.2.1:1234", a.Address)
	assert.Len(t, []rune(a.UserAgent), store.MaxActorUserAgentLength)
	assert.True(t, strings.HasPrefix(a.UserAgent, "bad\uFFFDbytes\uFFFDé"), a.UserAgent)
	_, err := json.Marshal(a)
	require.NoError(t, err)
}

// A User-Agent holding what the audit log refuses (bidi controls, line
// separators, control characters) is cleaned when it is recorded, so it
// never makes an administrator's change a 400 on actor.userAgent.
func TestAUserAgentWithBidiOrSeparatorCharactersNeverBlocksAChange(t *testing.T) {
	e := newAuditEnv(t)
	for ua, recorded := range map[string]string{
		"evil\u202eexe.gnp":      "evil\ufffdexe.gnp",
		"isolate\u2068x\u2069":   "isolate\ufffdx\ufffd",
		"line\u2028para\u2029":   "line\ufffdpara\ufffd",
		"mark\u200e\u200f\u061c": "mark\ufffd\ufffd\ufffd",
		"ctl\x01\x7f":            "ctl\ufffd\ufffd",
	} {
		req := httptest.NewRequest("POST", "/admin/service-accounts", strings.NewReader(`{"label":"a"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", ua)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusCreated, rec.Code, "User-Agent %+q: %s", ua, rec.Body)
		var created map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))

		page := e.expect(e.do("GET", "/admin/audit-events?serviceAccountId="+created["id"].(string), ""), http.StatusOK)
		events := items(t, page)
		require.Len(t, events, 1)
		assert.Equal(t, recorded, events[0]["actor"].(map[string]any)["userAgent"], "User-Agent %+q", ua)
	}
}

// An account filter names one account exactly: the nil UUID names none
// and is a 400 (never "no filter"), an id nobody used matches nothing,
// and a deleted account's id still matches its events.
func TestAuditEventsAccountFilterMatchesExactlyTheEventsOfThatAccount(t *testing.T) {
	e := newAuditEnv(t)
	kept := e.createAccount("kept")["id"].(string)
	gone := e.createAccount("gone")["id"].(string)
	e.expect(e.do("PUT", "/admin/service-accounts/"+gone, `{"label":"going"}`), http.StatusOK)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", "/admin/service-accounts/"+gone, "").status)

	fields := requireProblem(t, e.do("GET", "/admin/audit-events?serviceAccountId=00000000-0000-0000-0000-000000000000", ""), http.StatusBadRequest)
	assert.Equal(t, []string{"serviceAccountId"}, fields)

	actions := func(query string) []string {
		var out []string
		for _, ev := range items(t, e.expect(e.do("GET", "/admin/audit-events?"+query, ""), http.StatusOK)) {
			out = append(out, ev["action"].(string)+" "+ev["serviceAccountId"].(string))
		}
		return out
	}
	assert.Equal(t, []string{"account.delete " + gone, "account.update " + gone, "account.create " + gone}, actions("serviceAccountId="+gone))
	assert.Equal(t, []string{"account.create " + kept}, actions("serviceAccountId="+kept))
	assert.Empty(t, actions("serviceAccountId=0192f0c1-7a3b-7c4d-8e5f-0123456789ab"), "an id nobody used")
	assert.Len(t, actions(""), 4)
}
