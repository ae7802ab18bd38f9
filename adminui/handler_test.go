package adminui_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

func TestMountedUnderAnyPrefixEveryURLKeepsThePrefix(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "/admin/ui", "/tenants/acme/admin/service-accounts"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			t.Parallel()
			p := newPage(t, pageConfig{prefix: prefix})
			id := p.createAccount("Tekenradar export", "")

			list := p.get("/")
			require.Equal(t, http.StatusOK, list.StatusCode)
			assert.Contains(t, list.body, `href="`+prefix+`/assets/app.css"`)
			assert.Contains(t, list.body, `src="`+prefix+`/assets/app.js"`)
			assert.Contains(t, list.body, `action="`+prefix+`/accounts"`)
			assert.Contains(t, list.body, `href="`+prefix+`/accounts/`+id.String()+`"`)

			account := p.get("/accounts/" + id.String())
			require.Equal(t, http.StatusOK, account.StatusCode)
			assert.Contains(t, account.body, `action="`+prefix+`/accounts/`+id.String()+`/keys"`)
			// The limiter dialog's form has no action until a pencil gives it one.
			for _, href := range regexpAll(`(?:href|action|src)="([^"#]+)"`, account.body) {
				assert.True(t, strings.HasPrefix(href, prefix+"/"), "URL %q outside the mount point", href)
			}

			css := p.get("/assets/app.css")
			require.Equal(t, http.StatusOK, css.StatusCode)
			assert.Equal(t, "text/css; charset=utf-8", css.Header.Get("Content-Type"))
			js := p.get("/assets/app.js")
			require.Equal(t, http.StatusOK, js.StatusCode)
			assert.Contains(t, js.Header.Get("Content-Type"), "javascript")

			res := p.post("/accounts", url.Values{"label": {"Second"}})
			require.Equal(t, http.StatusSeeOther, res.StatusCode)
			assert.True(t, strings.HasPrefix(res.Header.Get("Location"), prefix+"/accounts/"), res.Header.Get("Location"))
		})
	}
}

func TestOptionsPrefixOverridesTheRecoveredOne(t *testing.T) {
	t.Parallel()
	// A proxy in front rewrote /console/sa/ to /admin/ui/: the page must
	// link to the address the browser sees.
	p := newPage(t, pageConfig{prefix: "/admin/ui", options: adminui.Config{Prefix: "/console/sa"}})
	res := p.get("/")
	assert.Contains(t, res.body, `href="/console/sa/assets/app.css"`)
	res = p.post("/accounts", url.Values{"label": {"A"}})
	assert.True(t, strings.HasPrefix(res.Header.Get("Location"), "/console/sa/accounts/"))
}

func TestStripPrefixWithTrailingSlashStillWorks(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/ui", trailingSlash: true})
	res := p.get("/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, `href="/ui/assets/app.css"`)
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("A", "")
	// p.do asserts the headers on each of these.
	p.get("/")
	p.get("/accounts/" + id.String())
	p.get("/assets/app.css")
	p.get("/assets/nope.js")
	p.get("/no/such/page")
	p.get("/accounts/" + id.String() + "/delete") // 405
	p.post("/accounts", url.Values{"label": {""}})
	p.post("/accounts", url.Values{"label": {"B"}})
	p.post("/accounts/"+id.String()+"/keys", url.Values{})
	p.postRaw("/accounts", "application/x-www-form-urlencoded", "label=C", http.Header{"Sec-Fetch-Site": {"cross-site"}})
}

func TestPathsThatNeedCleaningAre404NeverARedirect(t *testing.T) {
	t.Parallel()
	// Served directly, as by a router that does not clean paths itself
	// (http.ServeMux would redirect before the page sees the request).
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	h, err := adminui.New(p.mgr, adminui.Config{})
	require.NoError(t, err)
	id := p.createAccount("Keep me", "")
	for _, path := range []string{
		"/accounts/x/../" + id.String() + "/delete",
		"//accounts",
		"/accounts/" + id.String() + "/",
		"/./accounts",
		"/accounts/" + id.String() + "/keys/.",
	} {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			req := httptest.NewRequest(method, "/", strings.NewReader(""))
			req.URL.Path = path
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusNotFound, rec.Code, method+" "+path)
			assert.Empty(t, rec.Header().Get("Location"), method+" "+path)
			assert.Equal(t, adminui.ContentSecurityPolicy, rec.Header().Get("Content-Security-Policy"))
		}
	}
	_, err = p.mgr.Account(context.Background(), id)
	assert.NoError(t, err, "nothing was deleted")
}

func TestUnknownPagesAndMethodsGetAnErrorPage(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	res := p.get("/nope")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, res.body, "There is no page at this address.")
	assert.Contains(t, res.body, `href="/admin/ui/"`)

	res = p.get("/accounts/00000000-0000-0000-0000-000000000000/delete")
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	assert.Equal(t, "POST", res.Header.Get("Allow"))
	assert.Contains(t, res.Header.Get("Content-Type"), "text/html")
}

func TestCrossOriginPostsAreRefusedAndWriteNothing(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Victim", "")
	for name, h := range map[string]http.Header{
		"cross-site fetch metadata": {"Sec-Fetch-Site": {"cross-site"}},
		"same-site fetch metadata":  {"Sec-Fetch-Site": {"same-site"}},
		"foreign Origin only":       {"Sec-Fetch-Site": nil, "Origin": {"https://evil.example"}},
	} {
		t.Run(name, func(t *testing.T) {
			res := p.postRaw("/accounts/"+id.String()+"/delete", "application/x-www-form-urlencoded", "", h)
			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			assert.Contains(t, res.body, "sent from another site")
			res = p.postRaw("/accounts", "application/x-www-form-urlencoded", "label=Forged", h)
			assert.Equal(t, http.StatusForbidden, res.StatusCode)
		})
	}
	page, err := p.mgr.ListAccounts(context.Background(), serviceaccount.ListAccountsParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, "Victim", page.Items[0].Label)
}

func TestFormsThePageCannotHaveSentAreRefusedWhole(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Original", "")
	cases := []struct {
		name, path, contentType, body, message string
	}{
		{"extra field", "/accounts", "application/x-www-form-urlencoded", "label=A&admin=1", `unexpected field &#34;admin&#34;`},
		{"missing field", "/accounts", "application/x-www-form-urlencoded", "description=x", `missing the field &#34;label&#34;`},
		{"repeated field", "/accounts", "application/x-www-form-urlencoded", "label=A&label=B", `more than once`},
		{"JSON body", "/accounts", "application/json", `{"label":"A"}`, "application/x-www-form-urlencoded"},
		{"multipart body", "/accounts", "multipart/form-data; boundary=x", "--x--", "application/x-www-form-urlencoded"},
		{"bad encoding", "/accounts", "application/x-www-form-urlencoded", "label=%zz", "not correctly encoded"},
		{"extra field on update", "/accounts/" + id.String(), "application/x-www-form-urlencoded", "label=Changed&id=1", "unexpected field"},
		{"missing limiter", "/accounts/" + id.String() + "/permissions/" + id.String() + "/limiter", "application/x-www-form-urlencoded", "", "missing the field"},
		{"field on delete", "/accounts/" + id.String() + "/delete", "application/x-www-form-urlencoded", "confirm=1", "unexpected field"},
		{"too large", "/accounts", "application/x-www-form-urlencoded", "label=" + strings.Repeat("a", 70<<10), "larger than"},
	}
	for _, c := range cases {
		res := p.postRaw(c.path, c.contentType, c.body, nil)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, c.name)
		assert.Contains(t, res.body, c.message, c.name)
	}
	page, err := p.mgr.ListAccounts(context.Background(), serviceaccount.ListAccountsParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "nothing was created or deleted")
	assert.Equal(t, "Original", page.Items[0].Label, "nothing was updated")
}

func TestDeletedMeanwhileIsA404Page(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Gone soon", "")
	require.NoError(t, p.mgr.DeleteAccount(context.Background(), id))
	for _, res := range []response{
		p.get("/accounts/" + id.String()),
		p.get("/accounts/not-a-uuid"),
		p.post("/accounts/"+id.String(), url.Values{"label": {"x"}}),
		p.post("/accounts/"+id.String()+"/delete", nil),
		p.post("/accounts/"+id.String()+"/keys", nil),
	} {
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
		assert.Contains(t, res.body, "This service account does not exist; it may have been deleted meanwhile.")
		assert.Contains(t, res.body, `<a href="/admin/ui/">Back to the service accounts</a>`)
	}
}

func TestStoreFailureIsA503PageWithTheCauseOnlyInTheLog(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("A", "")
	p.store.failWith(errors.New("dial tcp 10.0.0.7:5432: connection refused"))
	for _, res := range []response{p.get("/"), p.get("/accounts/" + id.String()), p.post("/accounts", url.Values{"label": {"B"}})} {
		assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		assert.Contains(t, res.body, "The service could not reach its store. Try again in a moment.")
		assert.NotContains(t, res.body, "10.0.0.7")
	}
	assert.Contains(t, p.logs.String(), "connection refused")

	p.store.failWith(context.DeadlineExceeded)
	res := p.get("/")
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	assert.Contains(t, res.body, "temporarily unavailable")
}

func TestActorOptionTravelsWithEveryChangeIntoTheActivity(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui", options: adminui.Config{
		Actor: func(r *http.Request) (serviceaccount.Actor, bool) {
			return serviceaccount.Actor{ID: "admin-token", Address: "192.0.2.7:5555", UserAgent: r.UserAgent()}, true
		},
	}})
	req, err := http.NewRequest(http.MethodPost, p.srv.URL+"/admin/ui/accounts", strings.NewReader("label=Audited"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "actor-test/1")
	res := p.do(req)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Len(t, p.store.actors, 1)
	assert.Equal(t, serviceaccount.Actor{ID: "admin-token", Address: "192.0.2.7:5555", UserAgent: "actor-test/1"}, p.store.actors[0])

	accountPath := strings.TrimPrefix(strings.Split(res.Header.Get("Location"), "?")[0], "/admin/ui")
	res = p.post(accountPath+"/keys", url.Values{})
	require.Equal(t, http.StatusCreated, res.StatusCode)
	key := regexp.MustCompile(`readonly value="([^"]+)"`).FindStringSubmatch(res.body)[1]
	res = p.post(accountPath+"/permissions", url.Values{"resourceType": {"study"}, "resourceKey": {"tekenradar"}, "action": {"get-reports"}, "limiter": {`[{"reportKey":"r1"}]`}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)

	body := p.get(accountPath).body
	assert.Contains(t, body, `<h2 id="activity-title">Activity</h2>`)
	for _, text := range []string{"Account created", "API key created", apikey.Hint(key), "Permission added",
		`study tekenradar · get-reports [{&#34;reportKey&#34;:&#34;r1&#34;}]`, "admin-token", "(192.0.2.7:5555)"} {
		assert.Contains(t, body, text)
	}
	assert.NotContains(t, body, key, "the activity never shows a key")
	// Newest first.
	assert.Less(t, strings.Index(body, "Permission added"), strings.Index(body, "Account created"))
}

func TestActivityPagePagesThroughAllEvents(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Busy", "")
	for i := range 60 {
		_, err := p.mgr.UpdateAccount(context.Background(), id, serviceaccount.AccountInput{Label: fmt.Sprintf("Busy %d", i)})
		require.NoError(t, err)
	}
	body := p.get("/accounts/" + id.String()).body
	assert.Equal(t, 10, strings.Count(body, `<td data-label="Change">Account updated</td>`))
	assert.Contains(t, body, `<a href="/admin/ui/accounts/`+id.String()+`/activity">All activity</a>`)
	assert.Contains(t, body, `<span class="field-name">Label:</span> Busy 58 <span aria-hidden="true">→</span><span class="visually-hidden">changed to</span> Busy 59</li>`,
		"each change says from what to what")
	res := p.get("/accounts/" + id.String() + "/activity")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, serviceaccount.DefaultPageSize, strings.Count(res.body, `<td data-label="Change">Account updated</td>`))
	next := regexp.MustCompile(`<a href="(/admin/ui/accounts/[^"]+/activity\?cursor=[^"]+)">Older changes</a>`).FindStringSubmatch(res.body)
	require.NotNil(t, next)
	res = p.get(strings.TrimPrefix(html.UnescapeString(next[1]), "/admin/ui"))
	assert.Equal(t, 10, strings.Count(res.body, `<td data-label="Change">Account updated</td>`))
	assert.Contains(t, res.body, `<td data-label="Change">Account created</td>`)
	assert.Equal(t, http.StatusOK, p.get("/accounts/"+id.String()+"/activity?cursor=bogus").StatusCode)
	assert.Equal(t, http.StatusNotFound, p.get("/accounts/00000000-0000-0000-0000-000000000000/activity").StatusCode)
}

func TestNewRefusesAMissingManagerOrABadPrefix(t *testing.T) {
	t.Parallel()
	_, err := adminui.New(nil, adminui.Config{})
	assert.ErrorContains(t, err, "non-nil *serviceaccount.Manager")
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	require.NoError(t, err)
	for _, prefix := range []string{"admin/ui", "//evil.example/ui", "/admin ui", "/admin/ui?x=1", "/admin/ui#top"} {
		_, err := adminui.New(mgr, adminui.Config{Prefix: prefix})
		assert.ErrorContains(t, err, "Config.Prefix", prefix)
	}
	for _, prefix := range []string{"", "/admin/ui", "/admin/ui/", "/a%20b"} {
		_, err := adminui.New(mgr, adminui.Config{Prefix: prefix})
		assert.NoError(t, err, prefix)
	}
}
