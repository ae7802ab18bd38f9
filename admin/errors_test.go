package admin_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// fixture is two accounts, each with a key and a limited permission.
type fixture struct {
	a, b             string // account ids
	keyA, keyB       string
	permA, permB     string
	plainA, plainB   string
	accountPath      string // of a
	otherAccountPath string // of b
}

func newFixture(e *env) fixture {
	var f fixture
	f.a = e.createAccount("a")["id"].(string)
	f.b = e.createAccount("b")["id"].(string)
	ka, kb := e.createKey(f.a), e.createKey(f.b)
	f.keyA, f.plainA = ka["id"].(string), ka["key"].(string)
	f.keyB, f.plainB = kb["id"].(string), kb["key"].(string)
	const perm = `{"resourceType":"study","resourceKey":"s","action":"get-reports","limiter":[{"reportKey":"r1"}]}`
	f.permA = e.addPermission(f.a, perm)["id"].(string)
	f.permB = e.addPermission(f.b, perm)["id"].(string)
	f.accountPath = "/admin/service-accounts/" + f.a
	f.otherAccountPath = "/admin/service-accounts/" + f.b
	return f
}

// state is everything the API can show, to prove a request wrote nothing.
func (e *env) state(f fixture) string {
	e.t.Helper()
	var b strings.Builder
	for _, target := range []string{
		"/admin/service-accounts?limit=200",
		f.accountPath + "/api-keys", f.accountPath + "/permissions",
		f.otherAccountPath + "/api-keys", f.otherAccountPath + "/permissions",
	} {
		res := e.do("GET", target, "")
		require.Equal(e.t, http.StatusOK, res.status)
		b.Write(res.body)
	}
	return b.String()
}

func TestBadInputIsRejectedAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	accounts := "/admin/service-accounts"
	keys := f.accountPath + "/api-keys"
	perms := f.accountPath + "/permissions"
	limiterPath := perms + "/" + f.permA + "/limiter"
	const json = "application/json"
	tooLarge := `{"label":"` + strings.Repeat("a", admin.MaxBodyBytes) + `"}`

	tests := []struct {
		name, method, target, contentType, body string
		status                                  int
		fields                                  []string
	}{
		{"MalformedJSON", "POST", accounts, json, `{"label":`, 400, nil},
		{"NotJSONAtAll", "POST", accounts, json, `label=x`, 400, nil},
		{"BadSyntaxInside", "POST", accounts, json, `{"label" "x"}`, 400, nil},
		{"LabelIsANumber", "POST", accounts, json, `{"label":5}`, 400, []string{"label"}},
		{"DescriptionIsAnObject", "POST", accounts, json, `{"label":"x","description":{}}`, 400, []string{"description"}},
		{"EveryWrongTypeAtOnce", "POST", accounts, json, `{"label":true,"description":[]}`, 400, []string{"label", "description"}},
		{"UnknownField", "POST", accounts, json, `{"lable":"x"}`, 400, []string{"lable"}},
		{"FieldNameInOtherCase", "POST", accounts, json, `{"Label":"x"}`, 400, []string{"Label"}},
		{"RepeatedField", "POST", accounts, json, `{"label":"x","label":"y"}`, 400, []string{"label"}},
		{"SecondValueAfterTheObject", "POST", accounts, json, `{"label":"x"} {"label":"y"}`, 400, nil},
		{"ClosingBraceAfterTheObject", "POST", accounts, json, `{"label":"x"}}`, 400, nil},
		{"GarbageAfterTheObject", "POST", accounts, json, `{"label":"x"}x`, 400, nil},
		{"ArrayBody", "POST", accounts, json, `[{"label":"x"}]`, 400, nil},
		{"NullBody", "POST", accounts, json, `null`, 400, nil},
		{"EmptyBody", "POST", accounts, json, ``, 400, nil},
		{"MissingLabel", "POST", accounts, json, `{"description":"x"}`, 400, []string{"label"}},
		{"BlankLabel", "POST", accounts, json, `{"label":"   "}`, 400, []string{"label"}},
		{"NullLabel", "POST", accounts, json, `{"label":null}`, 400, []string{"label"}},
		{"LabelTooLong", "POST", accounts, json, `{"label":"` + strings.Repeat("é", 101) + `"}`, 400, []string{"label"}},
		{"DescriptionTooLong", "POST", accounts, json, `{"label":"x","description":"` + strings.Repeat("d", 1001) + `"}`, 400, []string{"description"}},
		{"FormContentType", "POST", accounts, "application/x-www-form-urlencoded", `{"label":"x"}`, 415, nil},
		{"TextPlain", "POST", accounts, "text/plain", `{"label":"x"}`, 415, nil},
		{"NoContentTypeWithABody", "POST", accounts, "", `{"label":"x"}`, 415, nil},
		{"NonUTF8Charset", "POST", accounts, "application/json; charset=latin1", `{"label":"x"}`, 415, nil},
		{"UnparsableContentType", "POST", accounts, "application/json; =", `{"label":"x"}`, 415, nil},
		{"BodyOverOneMiB", "POST", accounts, json, tooLarge, 413, nil},
		{"UpdateWithUnknownField", "PUT", f.accountPath, json, `{"label":"x","lable":"y"}`, 400, []string{"lable"}},
		{"UpdateWithoutLabel", "PUT", f.accountPath, json, `{}`, 400, []string{"label"}},
		{"UpdateWithEmptyBody", "PUT", f.accountPath, json, ``, 400, nil},
		{"UpdateAsForm", "PUT", f.accountPath, "application/x-www-form-urlencoded", `label=x`, 415, nil},
		{"UpdateOverOneMiB", "PUT", f.accountPath, json, tooLarge, 413, nil},
		{"ExpiresAtNotRFC3339", "POST", keys, json, `{"expiresAt":"tomorrow"}`, 400, []string{"expiresAt"}},
		{"ExpiresAtDateOnly", "POST", keys, json, `{"expiresAt":"2030-01-01"}`, 400, []string{"expiresAt"}},
		{"ExpiresAtWithoutZone", "POST", keys, json, `{"expiresAt":"2030-01-01T00:00:00"}`, 400, []string{"expiresAt"}},
		{"ExpiresAtNumber", "POST", keys, json, `{"expiresAt":1893456000}`, 400, []string{"expiresAt"}},
		{"ExpiresAtInThePast", "POST", keys, json, `{"expiresAt":"2020-01-01T00:00:00Z"}`, 400, []string{"expiresAt"}},
		{"ExpiresAtNow", "POST", keys, json, `{"expiresAt":"` + startJSON + `"}`, 400, []string{"expiresAt"}},
		{"KeyUnknownField", "POST", keys, json, `{"expires":"2030-01-01T00:00:00Z"}`, 400, []string{"expires"}},
		{"KeyAsTextWithABody", "POST", keys, "text/plain", `{}`, 415, nil},
		{"KeyAsFormWithoutABody", "POST", keys, "application/x-www-form-urlencoded", ``, 415, nil},
		{"KeyBodyOverOneMiB", "POST", keys, json, tooLarge, 413, nil},
		{"UnknownResourceType", "POST", perms, json, `{"resourceType":"nope","resourceKey":"*","action":"*"}`, 400, []string{"resourceType"}},
		{"UnknownAction", "POST", perms, json, `{"resourceType":"users","resourceKey":"*","action":"read"}`, 400, []string{"action"}},
		{"MissingPermissionFields", "POST", perms, json, `{}`, 400, []string{"resourceType", "resourceKey", "action"}},
		{"ResourceTypeIsANumber", "POST", perms, json, `{"resourceType":1,"resourceKey":"*","action":"*"}`, 400, []string{"resourceType"}},
		{"LimiterKeyNotDeclared", "POST", perms, json, `{"resourceType":"study","resourceKey":"s","action":"get-responses","limiter":[{"reportKey":"r"}]}`, 400, []string{"limiter[0].reportKey"}},
		{"LimiterOnActionWithoutOne", "POST", perms, json, `{"resourceType":"users","resourceKey":"*","action":"delete-users","limiter":[{"x":"y"}]}`, 400, []string{"limiter"}},
		{"EmptyLimiter", "POST", perms, json, `{"resourceType":"study","resourceKey":"s","action":"get-responses","limiter":[]}`, 400, []string{"limiter"}},
		{"LimiterIsAString", "POST", perms, json, `{"resourceType":"study","resourceKey":"s","action":"get-responses","limiter":"[{\"surveyKey\":\"s1\"}]"}`, 400, []string{"limiter"}},
		{"LimiterValueIsANumber", "POST", perms, json, `{"resourceType":"study","resourceKey":"s","action":"get-responses","limiter":[{"surveyKey":1}]}`, 400, []string{"limiter[0].surveyKey"}},
		{"DuplicatePermission", "POST", perms, json, `{"resourceType":"study","resourceKey":"s","action":"get-reports","limiter":[{"reportKey":"r1"}]}`, 409, nil},
		{"DuplicatePermissionWrittenAsAnArray", "POST", perms, json, `{"resourceType":"study","resourceKey":"s","action":"get-reports","limiter":[{"reportKey":["r1"]}]}`, 409, nil},
		{"PermissionUnknownField", "POST", perms, json, `{"resourceType":"users","resourceKey":"*","action":"*","limter":null}`, 400, []string{"limter"}},
		{"SetLimiterWithoutTheField", "PUT", limiterPath, json, `{}`, 400, []string{"limiter"}},
		{"SetLimiterWithEmptyBody", "PUT", limiterPath, json, ``, 400, nil},
		{"SetLimiterUnknownKey", "PUT", limiterPath, json, `{"limiter":[{"surveyKey":"s1"}]}`, 400, []string{"limiter[0].surveyKey"}},
		{"SetLimiterEmptyItem", "PUT", limiterPath, json, `{"limiter":[{}]}`, 400, []string{"limiter[0]"}},
		{"SetLimiterMalformed", "PUT", limiterPath, json, `{"limiter":[{"reportKey":}]}`, 400, nil},
		{"SetLimiterUnknownField", "PUT", limiterPath, json, `{"limiter":null,"limitter":null}`, 400, []string{"limitter"}},
		{"LimitZero", "GET", accounts + "?limit=0", "", "", 400, []string{"limit"}},
		{"LimitTooLarge", "GET", accounts + "?limit=201", "", "", 400, []string{"limit"}},
		{"LimitNegative", "GET", accounts + "?limit=-1", "", "", 400, []string{"limit"}},
		{"LimitNotANumber", "GET", accounts + "?limit=ten", "", "", 400, []string{"limit"}},
		{"LimitFraction", "GET", accounts + "?limit=2.5", "", "", 400, []string{"limit"}},
		{"LimitEmpty", "GET", accounts + "?limit=", "", "", 400, []string{"limit"}},
		{"LimitWithSign", "GET", accounts + "?limit=+5", "", "", 400, []string{"limit"}},
		{"CursorNotBase64", "GET", accounts + "?cursor=!!!", "", "", 400, []string{"cursor"}},
		{"CursorWrongLength", "GET", accounts + "?cursor=AAAA", "", "", 400, []string{"cursor"}},
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

func TestUnknownThingsAre404(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	missing := uuid.Must(uuid.NewV7()).String()
	a := f.accountPath
	const label = `{"label":"x"}`
	const limiter = `{"limiter":null}`

	tests := []struct{ name, method, target, body string }{
		{"UnknownPath", "GET", "/admin/nope", ""},
		{"Root", "GET", "/admin/", ""},
		{"TrailingSlash", "GET", "/admin/service-accounts/", ""},
		{"AccountIDNotAUUID", "GET", "/admin/service-accounts/not-a-uuid", ""},
		{"AccountIDInBraces", "GET", "/admin/service-accounts/{" + f.a + "}", ""},
		{"AccountIDWithoutHyphens", "GET", "/admin/service-accounts/" + strings.ReplaceAll(f.a, "-", ""), ""},
		{"UnknownAccount", "GET", "/admin/service-accounts/" + missing, ""},
		{"UpdateUnknownAccount", "PUT", "/admin/service-accounts/" + missing, label},
		{"UpdateNonUUID", "PUT", "/admin/service-accounts/x", label},
		{"DeleteUnknownAccount", "DELETE", "/admin/service-accounts/" + missing, ""},
		{"DeleteNonUUID", "DELETE", "/admin/service-accounts/1", ""},
		{"KeysOfUnknownAccount", "GET", "/admin/service-accounts/" + missing + "/api-keys", ""},
		{"KeyForUnknownAccount", "POST", "/admin/service-accounts/" + missing + "/api-keys", ""},
		{"KeyForNonUUID", "POST", "/admin/service-accounts/x/api-keys", ""},
		{"DeleteUnknownKey", "DELETE", a + "/api-keys/" + missing, ""},
		{"DeleteNonUUIDKey", "DELETE", a + "/api-keys/x", ""},
		{"DeleteKeyOfAnotherAccount", "DELETE", a + "/api-keys/" + f.keyB, ""},
		{"DeleteKeyUnderUnknownAccount", "DELETE", "/admin/service-accounts/" + missing + "/api-keys/" + f.keyA, ""},
		{"PermissionsOfUnknownAccount", "GET", "/admin/service-accounts/" + missing + "/permissions", ""},
		{"PermissionForUnknownAccount", "POST", "/admin/service-accounts/" + missing + "/permissions", `{"resourceType":"users","resourceKey":"*","action":"*"}`},
		{"SetLimiterOfAnotherAccount", "PUT", a + "/permissions/" + f.permB + "/limiter", limiter},
		{"SetLimiterOfUnknownPermission", "PUT", a + "/permissions/" + missing + "/limiter", limiter},
		{"SetLimiterNonUUID", "PUT", a + "/permissions/x/limiter", limiter},
		{"DeletePermissionOfAnotherAccount", "DELETE", a + "/permissions/" + f.permB, ""},
		{"DeleteUnknownPermission", "DELETE", a + "/permissions/" + missing, ""},
		{"DeleteNonUUIDPermission", "DELETE", a + "/permissions/x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(f)
			res := e.do(tc.method, tc.target, tc.body)
			requireProblem(t, res, http.StatusNotFound)
			assert.Empty(t, res.header.Get("Location"), "never a redirect")
			assert.Equal(t, before, e.state(f))
		})
	}
}

// The outer ServeMux of the tests cleans paths itself, so these reach the
// handler directly, as they would behind a router that does not.
func TestUncleanPathsAre404NotRedirects(t *testing.T) {
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	require.NoError(t, err)
	a, err := m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "a"})
	require.NoError(t, err)
	h, err := admin.New(m, admin.Config{})
	require.NoError(t, err)
	for _, target := range []string{
		"/service-accounts/x/../" + a.ID.String(),
		"/service-accounts//" + a.ID.String(),
		"/service-accounts/./" + a.ID.String(),
	} {
		t.Run(target, func(t *testing.T) {
			rec := newRecorder()
			h.ServeHTTP(rec, &http.Request{Method: "GET", URL: &url.URL{Path: target}, Header: http.Header{}})
			assert.Equal(t, http.StatusNotFound, rec.Code)
			assert.Empty(t, rec.Header().Get("Location"))
			assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
		})
	}
	t.Run("EmptyPath", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.Handle("/admin", http.StripPrefix("/admin", h))
		rec := newRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/admin", nil))
		assert.Equal(t, http.StatusNotFound, rec.Code)
		assert.Empty(t, rec.Header().Get("Location"))
	})
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	e := newEnv(t)
	f := newFixture(e)
	tests := []struct{ method, target, allow string }{
		{"PATCH", "/admin/service-accounts", "GET, HEAD, POST"},
		{"DELETE", "/admin/service-accounts", "GET, HEAD, POST"},
		{"POST", f.accountPath, "DELETE, GET, HEAD, PATCH, PUT"},
		{"PUT", f.accountPath + "/api-keys", "GET, HEAD, POST"},
		{"PUT", f.accountPath + "/api-keys/" + f.keyA, "DELETE, GET, HEAD, PATCH"},
		{"POST", f.accountPath + "/permissions/" + f.permA, "DELETE, GET, HEAD"},
		{"GET", f.accountPath + "/api-keys/" + f.keyA + "/rotate", "POST"},
		{"POST", "/admin/api-keys", "GET, HEAD"},
		{"POST", "/admin/policy", "GET, HEAD, PUT"},
		{"POST", "/admin/tenants", "GET, HEAD"},
		{"GET", f.accountPath + "/permissions/" + f.permA + "/limiter", "PUT"},
		{"POST", "/admin/catalog", "GET, HEAD"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			res := e.do(tc.method, tc.target, "")
			requireProblem(t, res, http.StatusMethodNotAllowed)
			assert.Equal(t, tc.allow, res.header.Get("Allow"))
		})
	}
}

// failingStore fails every account read with err.
type failingStore struct {
	store.Store
	err error
}

func (s failingStore) AccountGet(context.Context, string, uuid.UUID) (serviceaccount.Account, error) {
	return serviceaccount.Account{}, s.err
}

func (s failingStore) AccountList(context.Context, string, uuid.UUID, int) ([]serviceaccount.Account, error) {
	return nil, s.err
}

func TestStoreFailures(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		level  string
	}{
		{"StoreFailureIs503", errors.New("pq: connection refused to db.internal:5432"), http.StatusServiceUnavailable, "level=ERROR"},
		{"DeadlineIs503", context.DeadlineExceeded, http.StatusServiceUnavailable, "level=WARN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWithStore(t, failingStore{Store: memstore.New(), err: tc.err})
			for _, target := range []string{"/admin/service-accounts", "/admin/service-accounts/" + uuid.NewString()} {
				res := e.do("GET", target, "")
				requireProblem(t, res, tc.status)
				assert.NotContains(t, string(res.body), tc.err.Error(), "internals never reach the client")
				assert.NotContains(t, string(res.body), "db.internal")
			}
			assert.Contains(t, e.logs.String(), tc.err.Error(), "the error is logged")
			assert.Contains(t, e.logs.String(), tc.level)
			assert.Contains(t, e.logs.String(), `pattern="GET /service-accounts/{id}"`)
		})
	}
}

func TestProblemBodiesAreJSONEvenWhenTheClientGoesAway(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "/admin/service-accounts", nil)
	require.NoError(t, err)
	rec := newRecorder()
	e.h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), `"status":503`)
}

// conflictStore reports a uniqueness conflict on every account insert, as
// a backend would on an id collision.
type conflictStore struct{ store.Store }

func (s conflictStore) InTx(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	return s.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return fn(ctx, conflictTx{tx}) })
}

type conflictTx struct{ store.Tx }

func (conflictTx) AccountCreate(context.Context, string, serviceaccount.Account) error {
	return fmt.Errorf("insert account: %w", store.ErrConflict)
}

func TestStoreConflictIs409(t *testing.T) {
	e := newEnvWithStore(t, conflictStore{memstore.New()})
	requireProblem(t, e.do("POST", "/admin/service-accounts", `{"label":"x"}`), http.StatusConflict)
	list := e.expect(e.do("GET", "/admin/service-accounts", ""), http.StatusOK)
	assert.Empty(t, items(t, list))
}

func TestBodyLimitIsExactlyMaxBodyBytes(t *testing.T) {
	e := newEnv(t)
	body := `{"label":"x"}`
	atLimit := body + strings.Repeat(" ", admin.MaxBodyBytes-len(body))
	e.expect(e.do("POST", "/admin/service-accounts", atLimit), http.StatusCreated)
	requireProblem(t, e.do("POST", "/admin/service-accounts", atLimit+" "), http.StatusRequestEntityTooLarge)
}

func TestJSONMediaTypes(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		contentType string
		want        int
	}{
		{"application/json", http.StatusCreated},
		{"application/json; charset=utf-8", http.StatusCreated},
		{"Application/JSON; charset=UTF-8", http.StatusCreated},
		{"application/merge-patch+json", http.StatusCreated},
		{"application/json; charset=iso-8859-1", http.StatusUnsupportedMediaType},
		{"text/json", http.StatusUnsupportedMediaType},
		{"application/jsonp", http.StatusUnsupportedMediaType},
		{"multipart/form-data; boundary=x", http.StatusUnsupportedMediaType},
		{"json", http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.contentType, func(t *testing.T) {
			res := e.send("POST", "/admin/service-accounts", tc.contentType, strings.NewReader(`{"label":"x"}`))
			require.Equal(t, tc.want, res.status, "body: %s", res.body)
			if tc.want != http.StatusCreated {
				requireProblem(t, res, tc.want)
			}
		})
	}
}
