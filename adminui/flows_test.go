package adminui_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func TestListShowsCardsWithTheSeedsWords(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	res := p.get("/")
	assert.Contains(t, res.body, "No service accounts yet.")
	p.createAccount("Tekenradar export", "Nightly download of survey responses")
	p.createAccount("Backups", "")

	res = p.get("/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	for _, text := range []string{
		"<h1>Service Accounts</h1>",
		"Manage service accounts for machine-to-machine integrations",
		`<span class="card-label">Tekenradar export</span>`,
		`<span class="card-description">Nightly download of survey responses</span>`,
		`<span class="card-label">Backups</span>`,
		`aria-label="Create service account"`,
		"Data pipelines:", "CI/CD pipelines:",
	} {
		assert.Contains(t, res.body, text)
	}
	assert.False(t, dialogOpen(res.body, "create-account"))
	// Without JavaScript, the + link renders the dialog open.
	res = p.get("/?dialog=create-account")
	assert.True(t, dialogOpen(res.body, "create-account"))
	assert.Contains(t, res.body, `<label for="create-label">Label</label>`)
	assert.Contains(t, res.body, `<label for="create-description">Description</label>`)
}

func TestListPagesThroughManyAccounts(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	for i := range serviceaccount.DefaultPageSize + 1 {
		p.createAccount("Account "+strings.Repeat("x", i%3)+string(rune('A'+i%26)), "")
	}
	res := p.get("/")
	assert.Equal(t, serviceaccount.DefaultPageSize, strings.Count(res.body, `class="card"`))
	next := regexp.MustCompile(`<a href="(/admin/ui/\?cursor=[^"]+)">Next page</a>`).FindStringSubmatch(res.body)
	require.NotNil(t, next)
	res = p.get(strings.TrimPrefix(html.UnescapeString(next[1]), "/admin/ui"))
	assert.Equal(t, 1, strings.Count(res.body, `class="card"`))
	assert.NotContains(t, res.body, "Next page")
	// A cursor that is not ours shows the first page.
	res = p.get("/?cursor=bogus")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, serviceaccount.DefaultPageSize, strings.Count(res.body, `class="card"`))
}

func TestCreateAccountRedirectsToItsPage(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	res := p.post("/accounts", url.Values{"label": {"  Tekenradar export  "}, "description": {"Nightly"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc := res.Header.Get("Location")
	require.Regexp(t, `^/admin/ui/accounts/[0-9a-f-]{36}\?done=account-created$`, loc)

	res = p.get(strings.TrimPrefix(loc, "/admin/ui"))
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.body, `<p class="notice" role="status">Service account created.</p>`)
	assert.Contains(t, res.body, "<h1>Tekenradar export</h1>")
	for _, section := range []string{"Service Account Information", "API Keys", "Service Account Permissions", "Delete Service Account"} {
		assert.Contains(t, res.body, ">"+section+"</h2>")
	}
	// The seed's order, with the destructive section last.
	info := strings.Index(res.body, "Service Account Information")
	keys := strings.Index(res.body, ">API Keys<")
	perms := strings.Index(res.body, ">Service Account Permissions<")
	del := strings.Index(res.body, `class="panel danger-zone"`)
	assert.True(t, info < keys && keys < perms && perms < del)
}

func TestCreateAccountErrorsAppearNextToTheirFieldWithTheInputKept(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	res := p.post("/accounts", url.Values{"label": {"   "}, "description": {"kept <b>as typed</b>"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "create-account"))
	assert.Equal(t, `Enter a label, such as &#34;Tekenradar export&#34;.`, fieldError(t, res.body, "create-label"))
	assert.Contains(t, res.body, `kept &lt;b&gt;as typed&lt;/b&gt;</textarea>`)

	long := strings.Repeat("é", store.MaxLabelLength+1)
	res = p.post("/accounts", url.Values{"label": {long}, "description": {strings.Repeat("d", store.MaxDescriptionLength+1)}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Shorten this to at most 100 characters.", fieldError(t, res.body, "create-label"))
	assert.Equal(t, "Shorten this to at most 1000 characters.", fieldError(t, res.body, "create-description"))
	assert.Contains(t, fieldTag(t, res.body, "create-label"), `value="`+long+`"`)

	page, err := p.mgr.ListAccounts(context.Background(), serviceaccount.ListAccountsParams{})
	require.NoError(t, err)
	assert.Empty(t, page.Items, "nothing was written")
}

func TestHTMLInLabelsAndDescriptionsIsShownNeverRun(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	res := p.post("/accounts", url.Values{"label": {`<script>alert("label")</script>`}, "description": {`<img src=x onerror=alert(1)>`}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	for _, path := range []string{"/", strings.TrimPrefix(strings.Split(res.Header.Get("Location"), "?")[0], "/admin/ui")} {
		body := p.get(path).body
		assert.NotContains(t, body, `<script>alert`)
		assert.NotContains(t, body, `<img src=x`)
		assert.Contains(t, body, `&lt;script&gt;alert(&#34;label&#34;)&lt;/script&gt;`)
		assert.Contains(t, body, `&lt;img src=x onerror=alert(1)&gt;`)
		// The only script is the page's own file.
		assert.Equal(t, 1, strings.Count(body, "<script"))
		assert.NotRegexp(t, `<[^>]+ (?:style|on[a-z]+)=`, body, "no inline style or event handler")
	}
}

func TestUpdateAccount(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Old", "old description")
	res := p.post("/accounts/"+id.String(), url.Values{"label": {"New"}, "description": {"new description"}})
	p.seeOther(res, "/accounts/"+id.String(), "account-updated")
	a, err := p.mgr.Account(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "New", a.Label)
	assert.Equal(t, "new description", a.Description)
	assert.Contains(t, p.get("/accounts/"+id.String()+"?done=account-updated").body, "Service account updated.")

	res = p.post("/accounts/"+id.String(), url.Values{"label": {""}, "description": {"typed"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, `Enter a label, such as &#34;Tekenradar export&#34;.`, fieldError(t, res.body, "info-label"))
	assert.Contains(t, res.body, ">typed</textarea>")
	a, err = p.mgr.Account(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "New", a.Label, "nothing was written")
}

func TestUnknownNoticeIsNotShown(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	res := p.get("/?done=%3Cb%3Ehacked%3C/b%3E")
	assert.NotContains(t, res.body, "hacked")
	assert.NotContains(t, res.body, `class="notice"`)
}

func TestDeleteAccountAfterConfirming(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Doomed", "")
	res := p.get("/accounts/" + id.String())
	assert.Contains(t, res.body, `href="/admin/ui/accounts/`+id.String()+`?dialog=delete-account"`)
	assert.False(t, dialogOpen(res.body, "delete-account"))
	res = p.get("/accounts/" + id.String() + "?dialog=delete-account")
	assert.True(t, dialogOpen(res.body, "delete-account"))
	assert.Contains(t, res.body, `<button type="submit" class="danger">Delete Service Account</button>`)

	res = p.post("/accounts/"+id.String()+"/delete", nil)
	p.seeOther(res, "/", "account-deleted")
	assert.Contains(t, p.get("/?done=account-deleted").body, "Service account deleted.")
	_, err := p.mgr.Account(context.Background(), id)
	assert.Error(t, err)
}

func TestCreateKeyShowsThePlaintextOnceAndNowhereElse(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Keys", "")

	res := p.get("/accounts/" + id.String() + "?dialog=create-key")
	assert.True(t, dialogOpen(res.body, "create-key"))
	for _, text := range []string{">Expires</label>", ">Expiration date</label>", ">Generate New API Key</button>", `type="date"`, `min="2026-11-29"`,
		`<option value="never">Never (not recommended)</option>`, `<option value="90" selected>In 90 days (Feb 26, 2027)</option>`, "A key that never expires keeps working", "until the end of this day, 23:59 UTC"} {
		assert.Contains(t, res.body, text)
	}

	res = p.post("/accounts/"+id.String()+"/keys", url.Values{})
	require.Equal(t, http.StatusCreated, res.StatusCode)
	assert.Empty(t, res.Header.Get("Location"))
	assert.Empty(t, res.Header.Values("Set-Cookie"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	plaintext := regexp.MustCompile(`id="new-key-value" type="text" readonly value="([^"]+)"`).FindStringSubmatch(res.body)
	require.NotNil(t, plaintext)
	key := plaintext[1]
	require.NoError(t, apikey.Parse(key, "sa"))
	assert.Equal(t, 1, strings.Count(res.body, key), "the key appears once")
	assert.True(t, dialogOpen(res.body, "new-key"))
	assert.Contains(t, res.body, `aria-label="Copy API key"`)
	assert.Contains(t, res.body, "it is shown only this once")

	// It authenticates, and it is never shown again.
	c, err := p.mgr.LookupKey(context.Background(), apikey.HashKey(key))
	require.NoError(t, err)
	assert.Equal(t, id, c.Account.ID)
	res = p.get("/accounts/" + id.String())
	assert.NotContains(t, res.body, key)
	assert.Contains(t, res.body, apikey.Hint(key))
	assert.Contains(t, res.body, `aria-label="Delete API key `+apikey.Hint(key)+`"`)
	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Contains(t, res.body, `data-copy="`+keys[0].ID.String()+`" aria-label="Copy key ID of API key `+apikey.Hint(key)+`"`,
		"the table's copy button copies the key id, which the API and the CLI take, never the hint")
	assert.NotContains(t, res.body, `data-copy="`+apikey.Hint(key)+`"`)
	assert.NotContains(t, p.logs.String(), key)
}

func TestCreateKeyWithAnExpiryDate(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Keys", "")
	res := p.post("/accounts/"+id.String()+"/keys", url.Values{"setExpiry": {"on"}, "expiresOn": {"2027-03-01"}})
	require.Equal(t, http.StatusCreated, res.StatusCode)
	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.NotNil(t, keys[0].ExpiresAt)
	assert.Equal(t, time.Date(2027, 3, 1, 23, 59, 59, 0, time.UTC), *keys[0].ExpiresAt, "the end of the day picked, in UTC")
	assert.Contains(t, p.get("/accounts/"+id.String()).body,
		`<time datetime="2027-03-01T23:59:59Z" title="2027-03-01 23:59 UTC">in 3 months<span class="visually-hidden"> (2027-03-01 23:59 UTC)</span></time>`,
		"relative, with the exact time for the pointer and for screen readers")

	// Without JavaScript the date shows beside the choice: filled in, it wins.
	res = p.post("/accounts/"+id.String()+"/keys", url.Values{"expiry": {"never"}, "expiresOn": {"2027-03-02"}})
	require.Equal(t, http.StatusCreated, res.StatusCode)
	keys, err = p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2027, 3, 2, 23, 59, 59, 0, time.UTC), *keys[1].ExpiresAt)

	// The presets count from now; never is no expiry.
	for choice, days := range map[string]int{"7": 7, "90": 90, "never": 0} {
		res = p.post("/accounts/"+id.String()+"/keys", url.Values{"expiry": {choice}, "expiresOn": {""}})
		require.Equal(t, http.StatusCreated, res.StatusCode, choice)
		keys, err = p.mgr.Keys(context.Background(), id)
		require.NoError(t, err)
		got := keys[len(keys)-1].ExpiresAt
		if days == 0 {
			assert.Nil(t, got, choice)
			continue
		}
		require.NotNil(t, got, choice)
		assert.WithinDuration(t, p.clock.Now().AddDate(0, 0, days), *got, time.Millisecond, choice)
	}
	res = p.post("/accounts/"+id.String()+"/keys", url.Values{"expiry": {"12"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Choose one of the offered expirations.", fieldError(t, res.body, "expiry"))
}

func TestCreateKeyErrorsAppearNextToTheDate(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Keys", "")
	for value, message := range map[string]string{
		"":           "Choose the expiration date, or choose another expiration above.",
		"2026-11-28": "Choose a date after today.",
		"2020-01-01": "Choose a date after today.",
		"31/01/2030": "Enter the date as year-month-day, such as 2030-01-31.",
	} {
		res := p.post("/accounts/"+id.String()+"/keys", url.Values{"expiry": {"date"}, "expiresOn": {value}})
		require.Equal(t, http.StatusBadRequest, res.StatusCode, value)
		assert.True(t, dialogOpen(res.body, "create-key"))
		assert.Equal(t, message, fieldError(t, res.body, "expires-on"), value)
		assert.Contains(t, fieldTag(t, res.body, "expires-on"), `value="`+value+`"`)
		assert.Contains(t, res.body, `<option value="date" selected>`, "the choice is kept")
		assert.False(t, dialogOpen(res.body, "new-key"))
	}
	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Empty(t, keys, "nothing was written")
}

func TestDeleteKey(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Keys", "")
	other := p.createAccount("Other", "")
	k, err := p.mgr.CreateKey(context.Background(), id, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)

	// Through another account's address: 404, and the key stays.
	res := p.post("/accounts/"+other.String()+"/keys/"+k.Key.ID.String()+"/delete", nil)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, res.body, "This API key does not exist any more")

	body := p.get("/accounts/" + id.String()).body
	assert.Contains(t, body, `action="/admin/ui/accounts/`+id.String()+`/keys/`+k.Key.ID.String()+`/delete"`)
	res = p.post("/accounts/"+id.String()+"/keys/"+k.Key.ID.String()+"/delete", nil)
	p.seeOther(res, "/accounts/"+id.String(), "key-deleted")
	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Empty(t, keys)
	assert.Contains(t, p.get("/accounts/"+id.String()+"?done=key-deleted").body, "API key deleted.")
}

func TestAddPermissionFormFollowsTheCatalog(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Perms", "")

	// Study, the first type: a free key, its actions, a limiter field.
	res := p.get("/accounts/" + id.String() + "?dialog=add-permission")
	assert.True(t, dialogOpen(res.body, "add-permission"))
	for _, text := range []string{
		`<label for="perm-type">Resource Type</label>`, `<option value="study" selected>Study</option>`,
		`<option value="messaging">Messaging</option>`, `<option value="users">Participant Users</option>`,
		`<label for="perm-key">Resource Key</label>`, `Enter a study key, or use &#34;*&#34; for all.`,
		`<option value="get-responses">get-responses</option>`, `<option value="*">* (all actions)</option>`,
		`<label for="perm-limiter">Limiter</label>`, ">Add Permission</button>",
	} {
		assert.Contains(t, res.body, text)
	}
	assert.Contains(t, fieldTag(t, res.body, "perm-key"), `<input id="perm-key" name="resourceKey" type="text"`)
	assert.Contains(t, res.body, `data-catalog="[{&#34;id&#34;:&#34;study&#34;`)

	// Without JavaScript, choosing Messaging reloads the form for it.
	res = p.get("/accounts/" + id.String() + "?dialog=add-permission&resourceType=messaging&resourceKey=&action=")
	assert.Contains(t, res.body, `<option value="messaging" selected>Messaging</option>`)
	assert.Contains(t, fieldTag(t, res.body, "perm-key"), "<select")
	for _, k := range []string{"global-email-templates", "study-email-templates", "scheduled-emails", "sms-templates"} {
		assert.Contains(t, res.body, `<option value="`+k+`">`+k+`</option>`)
	}
	assert.Contains(t, res.body, "Select a resource ID.")
	assert.NotContains(t, res.body, `value="get-responses"`)

	// Participant Users: only *, no limiter.
	res = p.get("/accounts/" + id.String() + "?dialog=add-permission&resourceType=users")
	assert.Contains(t, res.body, "Only * is available (applies to all participant users).")
	assert.Contains(t, res.body, `<option value="delete-users">delete-users</option>`)
	assert.NotContains(t, res.body, `id="perm-limiter"`)
}

func TestAddPermissionEditLimiterAndDelete(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Perms", "")
	res := p.post("/accounts/"+id.String()+"/permissions", url.Values{
		"resourceType": {"study"}, "resourceKey": {"tekenradar"}, "action": {"get-responses"}, "limiter": {`[{"surveyKey": "intake"}]`},
	})
	p.seeOther(res, "/accounts/"+id.String(), "permission-added")
	perms, err := p.mgr.Permissions(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, perms, 1)
	pid := perms[0].ID.String()

	body := p.get("/accounts/" + id.String() + "?done=permission-added").body
	assert.Contains(t, body, "Permission added.")
	assert.Contains(t, body, `<td data-label="Resource" class="wrap">study tekenradar</td>`)
	assert.Contains(t, body, `<td data-label="Action"><code>get-responses</code></td>`)
	assert.Contains(t, body, `<code class="limiter">[{&#34;surveyKey&#34;:&#34;intake&#34;}]</code>`)
	assert.Contains(t, body, `aria-label="Edit limiter of study tekenradar get-responses"`)
	assert.Contains(t, body, `aria-label="Delete permission study tekenradar get-responses"`)

	// The pencil, without JavaScript.
	body = p.get("/accounts/" + id.String() + "?dialog=edit-limiter&permission=" + pid).body
	assert.True(t, dialogOpen(body, "edit-limiter"))
	assert.Contains(t, body, `action="/admin/ui/accounts/`+id.String()+`/permissions/`+pid+`/limiter"`)
	assert.Contains(t, body, `[{&#34;surveyKey&#34;:&#34;intake&#34;}]</textarea>`)

	res = p.post("/accounts/"+id.String()+"/permissions/"+pid+"/limiter", url.Values{"limiter": {`[{"surveyKey": ["intake", "weekly"]}]`}})
	p.seeOther(res, "/accounts/"+id.String(), "limiter-saved")
	perms, err = p.mgr.Permissions(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, `[{"surveyKey":["intake","weekly"]}]`, perms[0].Limiter.String())

	// An invalid limiter: the error next to the field, the input kept.
	res = p.post("/accounts/"+id.String()+"/permissions/"+pid+"/limiter", url.Values{"limiter": {`[{"reportKey": "r1"}]`}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "edit-limiter"))
	assert.Equal(t, "This action&#39;s limiter cannot use &#34;reportKey&#34;; use &#34;surveyKey&#34; instead.", fieldError(t, res.body, "limiter-value"))
	assert.Contains(t, res.body, `[{&#34;reportKey&#34;: &#34;r1&#34;}]</textarea>`)
	res = p.post("/accounts/"+id.String()+"/permissions/"+pid+"/limiter", url.Values{"limiter": {`[{"surveyKey": `}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "The limiter must be a JSON list of objects, such as [{&#34;surveyKey&#34;:&#34;intake&#34;}]; leave it empty for none.",
		fieldError(t, res.body, "limiter-value"), "how it should look, never the parser's words")
	assert.NotContains(t, res.body, "at byte")
	perms, err = p.mgr.Permissions(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, `[{"surveyKey":["intake","weekly"]}]`, perms[0].Limiter.String(), "nothing was written")

	// Empty removes the limiter.
	res = p.post("/accounts/"+id.String()+"/permissions/"+pid+"/limiter", url.Values{"limiter": {""}})
	p.seeOther(res, "/accounts/"+id.String(), "limiter-saved")
	perms, err = p.mgr.Permissions(context.Background(), id)
	require.NoError(t, err)
	assert.Nil(t, perms[0].Limiter)

	// Through another account's address: 404, and nothing changes.
	other := p.createAccount("Other", "")
	res = p.post("/accounts/"+other.String()+"/permissions/"+pid+"/delete", nil)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	res = p.post("/accounts/"+other.String()+"/permissions/"+pid+"/limiter", url.Values{"limiter": {""}})
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	perms, err = p.mgr.Permissions(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, perms, 1)
	assert.Nil(t, perms[0].Limiter)

	res = p.post("/accounts/"+id.String()+"/permissions/"+pid+"/delete", nil)
	p.seeOther(res, "/accounts/"+id.String(), "permission-deleted")
	perms, err = p.mgr.Permissions(context.Background(), id)
	require.NoError(t, err)
	assert.Empty(t, perms)
	res = p.post("/accounts/"+id.String()+"/permissions/"+pid+"/delete", nil)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, res.body, "This permission does not exist any more")
	// The pencil of a permission that is gone opens nothing.
	body = p.get("/accounts/" + id.String() + "?dialog=edit-limiter&permission=" + pid).body
	assert.False(t, dialogOpen(body, "edit-limiter"))
}

func TestAddPermissionErrorsAppearNextToTheirFieldWithTheInputKept(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Perms", "")
	post := func(v url.Values) response {
		return p.post("/accounts/"+id.String()+"/permissions", v)
	}

	res := post(url.Values{"resourceType": {"study"}, "resourceKey": {"tekenradar"}, "action": {"get-responses"}, "limiter": {`[{"reportKey": "<r1>"}]`}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "add-permission"))
	assert.Equal(t, "This action&#39;s limiter cannot use &#34;reportKey&#34;; use &#34;surveyKey&#34; instead.", fieldError(t, res.body, "perm-limiter"))
	assert.Contains(t, res.body, `[{&#34;reportKey&#34;: &#34;&lt;r1&gt;&#34;}]</textarea>`)
	assert.Contains(t, fieldTag(t, res.body, "perm-key"), `value="tekenradar"`)
	assert.Contains(t, res.body, `<option value="get-responses" selected>`)

	res = post(url.Values{"resourceType": {"study"}, "resourceKey": {"two words"}, "action": {"fly"}, "limiter": {""}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, fieldError(t, res.body, "perm-key"), "must not contain spaces")
	assert.Contains(t, fieldError(t, res.body, "perm-action"), "Unknown action &#34;fly&#34;")

	res = post(url.Values{"resourceType": {"messaging"}, "resourceKey": {"everything"}, "action": {"*"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, fieldError(t, res.body, "perm-key"), "is not allowed for resource type &#34;messaging&#34;")

	res = post(url.Values{"resourceType": {"planets"}, "resourceKey": {"*"}, "action": {"*"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, res.body, `<p class="form-error" role="alert">Resource Type: Unknown resource type &#34;planets&#34;`)

	res = post(url.Values{"resourceType": {"users"}, "resourceKey": {"*"}, "action": {"delete-users"}, "limiter": {`[{"studyKey":"s"}]`}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "This action takes no limiter; leave the field empty.", fieldError(t, res.body, "perm-limiter"))

	// The example in the advice uses the action's own limiter key.
	res = post(url.Values{"resourceType": {"messaging"}, "resourceKey": {"sms-templates"}, "action": {"*"}, "limiter": {`{"studyKey":`}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "The limiter must be a JSON list of objects, such as [{&#34;studyKey&#34;:&#34;intake&#34;}]; leave it empty for none.", fieldError(t, res.body, "perm-limiter"))

	// The same grant twice.
	ok := url.Values{"resourceType": {"study"}, "resourceKey": {"*"}, "action": {"*"}}
	require.Equal(t, http.StatusSeeOther, post(ok).StatusCode)
	res = post(ok)
	require.Equal(t, http.StatusConflict, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "add-permission"))
	assert.Contains(t, res.body, `<p class="form-error" role="alert">The account already holds this permission.</p>`)

	perms, err := p.mgr.Permissions(context.Background(), id)
	require.NoError(t, err)
	assert.Len(t, perms, 1, "only the valid grant was written")
}
