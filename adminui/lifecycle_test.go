package adminui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/google/uuid"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func TestKeyNamesOnCreateAndRename(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Keys", "")
	res := p.post("/accounts/"+id.String()+"/keys", url.Values{"name": {"  GitHub Actions deploy  "}})
	require.Equal(t, http.StatusCreated, res.StatusCode)
	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, "GitHub Actions deploy", keys[0].Name)
	body := p.get("/accounts/" + id.String()).body
	assert.Contains(t, body, `<th scope="col">Name</th>`)
	assert.Contains(t, body, `GitHub Actions deploy`)
	assert.Contains(t, body, `aria-label="Edit name of API key `+keys[0].Hint+`"`)

	// A name too long: the error next to the field, the input kept, no key.
	long := strings.Repeat("n", store.MaxKeyNameLength+1)
	res = p.post("/accounts/"+id.String()+"/keys", url.Values{"name": {long}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "create-key"))
	assert.Contains(t, fieldError(t, res.body, "key-name"), "at most 100")
	assert.Contains(t, fieldTag(t, res.body, "key-name"), `value="`+long+`"`)

	keyURL := "/accounts/" + id.String() + "/keys/" + keys[0].ID.String()
	body = p.get("/accounts/" + id.String() + "?dialog=rename-key&key=" + keys[0].ID.String()).body
	assert.True(t, dialogOpen(body, "rename-key"))
	assert.Contains(t, body, `action="/admin/ui`+keyURL+`/name"`)
	assert.Contains(t, fieldTag(t, body, "rename-name"), `value="GitHub Actions deploy"`)

	res = p.post(keyURL+"/name", url.Values{"name": {"Nightly export"}})
	p.seeOther(res, "/accounts/"+id.String(), "key-renamed")
	res = p.post(keyURL+"/name", url.Values{"name": {long}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "rename-key"))
	assert.Contains(t, fieldError(t, res.body, "rename-name"), "at most 100")
	keys, err = p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "Nightly export", keys[0].Name, "the refused name was not written")

	keys, err = p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Len(t, keys, 1)
}

func TestDisableAndEnableKeysAndAccounts(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Toggle", "")
	k, err := p.mgr.CreateKey(context.Background(), id, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	keyURL := "/accounts/" + id.String() + "/keys/" + k.Key.ID.String()

	body := p.get("/accounts/" + id.String()).body
	assert.Contains(t, body, `aria-label="Disable API key `+k.Key.Hint+`"`)
	assert.Contains(t, body, `aria-label="Rotate API key `+k.Key.Hint+`"`)
	assert.Contains(t, body, ">Disable service account</button>")

	p.seeOther(p.post(keyURL+"/disable", nil), "/accounts/"+id.String(), "key-disabled")
	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	require.NotNil(t, keys[0].DisabledAt)
	body = p.get("/accounts/" + id.String()).body
	assert.Contains(t, body, `aria-label="Enable API key `+k.Key.Hint+`"`)
	assert.NotContains(t, body, `aria-label="Rotate API key`, "a disabled key cannot be rotated")
	assert.Contains(t, body, `<span class="badge">Disabled</span>`)
	p.seeOther(p.post(keyURL+"/enable", nil), "/accounts/"+id.String(), "key-enabled")
	keys, err = p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Nil(t, keys[0].DisabledAt)

	p.seeOther(p.post("/accounts/"+id.String()+"/disable", nil), "/accounts/"+id.String(), "account-disabled")
	a, err := p.mgr.Account(context.Background(), id)
	require.NoError(t, err)
	require.NotNil(t, a.DisabledAt)
	body = p.get("/accounts/" + id.String() + "?done=account-disabled").body
	assert.Contains(t, body, "none of its keys authenticates until it is enabled")
	assert.Contains(t, body, ">Enable service account</button>")
	p.seeOther(p.post("/accounts/"+id.String()+"/enable", nil), "/accounts/"+id.String(), "account-enabled")
	a, err = p.mgr.Account(context.Background(), id)
	require.NoError(t, err)
	assert.Nil(t, a.DisabledAt)

	// Another account's key: 404, and nothing changes.
	other := p.createAccount("Other", "")
	res := p.post("/accounts/"+other.String()+"/keys/"+k.Key.ID.String()+"/disable", nil)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	keys, err = p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Nil(t, keys[0].DisabledAt)
}

func TestRotateShowsTheNewKeyOnceAndShortensTheOld(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Rotate", "")
	old, err := p.mgr.CreateKey(context.Background(), id, serviceaccount.CreateKeyInput{Name: "deploy"})
	require.NoError(t, err)
	rotateURL := "/accounts/" + id.String() + "/keys/" + old.Key.ID.String() + "/rotate"

	body := p.get("/accounts/" + id.String() + "?dialog=rotate-key&key=" + old.Key.ID.String()).body
	assert.True(t, dialogOpen(body, "rotate-key"))
	assert.Contains(t, body, `action="/admin/ui`+rotateURL+`"`)
	assert.Contains(t, body, `<option value="86400" selected>24 hours</option>`)
	assert.Contains(t, fieldTag(t, body, "rotate-name"), `value="deploy"`)

	res := p.post(rotateURL, url.Values{"name": {"deploy v2"}, "grace": {"3600"}})
	require.Equal(t, http.StatusCreated, res.StatusCode)
	m := regexp.MustCompile(`id="new-key-value" type="text" readonly value="([^"]+)"`).FindStringSubmatch(res.body)
	require.NotNil(t, m)
	key := m[1]
	require.NoError(t, apikey.Parse(key, "sa"))
	assert.Equal(t, 1, strings.Count(res.body, key))
	assert.Contains(t, res.body, "API key rotated")
	assert.Contains(t, res.body, "The replaced key <code>"+old.Key.Hint+"</code> keeps working until")

	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, "deploy v2", keys[1].Name)
	require.NotNil(t, keys[0].ExpiresAt)
	assert.Equal(t, start.Add(time.Hour), *keys[0].ExpiresAt)
	assert.NotContains(t, p.get("/accounts/"+id.String()).body, key)

	// A replaced key cannot be rotated again: the reason on the form, 409.
	res = p.post(rotateURL, url.Values{"grace": {"0"}})
	require.Equal(t, http.StatusConflict, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "rotate-key"))
	assert.Contains(t, res.body, `<p class="form-error" role="alert">`)
	assert.False(t, dialogOpen(res.body, "new-key"))

	// A grace beyond the policy, or none at all: errors next to the field.
	res = p.post("/accounts/"+id.String()+"/keys/"+keys[1].ID.String()+"/rotate", url.Values{"grace": {"99999999"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, fieldError(t, res.body, "rotate-grace"), "must be between 0 and")
	res = p.post("/accounts/"+id.String()+"/keys/"+keys[1].ID.String()+"/rotate", url.Values{"grace": {"soon"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Choose how long the old key keeps working.", fieldError(t, res.body, "rotate-grace"))
	res = p.post("/accounts/"+id.String()+"/keys/"+keys[1].ID.String()+"/rotate", url.Values{"grace": {"0"}, "setExpiry": {"on"}, "expiresOn": {"2020-01-01"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Choose a date after today.", fieldError(t, res.body, "rotate-expires-on"))
	keys, err = p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Len(t, keys, 2, "no refused rotation wrote a key")
}

func TestPolicyLimitsAppearInTheKeyForms(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui", policy: serviceaccount.Policy{
		MaxKeysPerAccount: 2, MaxKeyLifetime: 30 * 24 * time.Hour, MaxRotationGrace: 24 * time.Hour,
	}})
	id := p.createAccount("Policy", "")
	body := p.get("/accounts/" + id.String()).body
	assert.Contains(t, body, "0 of 2 keys in use")
	assert.Contains(t, body, "Keys must expire within 30 days (by the end of 2026-12-27).")
	assert.Contains(t, fieldTag(t, body, "expires-on"), `max="2026-12-27"`, "the end of 2026-12-28 is past 30 days from now")
	assert.NotContains(t, body, `<option value="never"`, "an expiry is required")
	assert.NotContains(t, body, `<option value="90"`, "presets stop at the policy's maximum")
	assert.Contains(t, body, `<option value="30">In 30 days (Dec 28, 2026)</option>`)
	assert.NotContains(t, body, `<option value="259200"`, "grace choices stop at the policy's maximum")

	res := p.post("/accounts/"+id.String()+"/keys", url.Values{"setExpiry": {"on"}, "expiresOn": {"2027-06-01"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Choose 2026-12-27 or earlier: the policy lets a key live at most 30 days.", fieldError(t, res.body, "expires-on"))
	res = p.post("/accounts/"+id.String()+"/keys", url.Values{"expiry": {"never"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Choose an expiration date: the policy requires one.", fieldError(t, res.body, "expiry"))
	for range 2 {
		res = p.post("/accounts/"+id.String()+"/keys", url.Values{"setExpiry": {"on"}, "expiresOn": {"2026-12-20"}})
		require.Equal(t, http.StatusCreated, res.StatusCode)
	}
	res = p.post("/accounts/"+id.String()+"/keys", url.Values{"setExpiry": {"on"}, "expiresOn": {"2026-12-20"}})
	require.Equal(t, http.StatusConflict, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "create-key"))
	assert.Regexp(t, `<p class="form-error" role="alert">[^<]*2[^<]*</p>`, res.body, "the limit is named")
	assert.Contains(t, p.get("/accounts/"+id.String()).body, "2 of 2 keys in use")
}

func TestHygieneListsKeysAcrossAccounts(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	a := p.createAccount("Alpha", "")
	b := p.createAccount("<b>Beta</b>", "")
	soon := start.Add(3 * 24 * time.Hour)
	later := start.Add(60 * 24 * time.Hour)
	ka, err := p.mgr.CreateKey(context.Background(), a, serviceaccount.CreateKeyInput{Name: "soon", ExpiresAt: &soon})
	require.NoError(t, err)
	kb, err := p.mgr.CreateKey(context.Background(), b, serviceaccount.CreateKeyInput{Name: "later", ExpiresAt: &later})
	require.NoError(t, err)

	body := p.get("/keys").body
	assert.Contains(t, body, "<h1>API key hygiene</h1>")
	assert.Contains(t, body, ka.Key.Hint)
	assert.Contains(t, body, kb.Key.Hint)
	assert.Contains(t, body, `<a href="/admin/ui/accounts/`+b.String()+`">&lt;b&gt;Beta&lt;/b&gt;</a>`)
	assert.Contains(t, p.get("/").body, `<a class="nav-link" href="/admin/ui/keys">API key hygiene</a>`)

	body = p.get("/keys?expiresWithinDays=7").body
	assert.Contains(t, body, ka.Key.Hint)
	assert.NotContains(t, body, kb.Key.Hint)
	assert.Contains(t, fieldTag(t, body, "expires-within"), `value="7"`)

	p.clock.Advance(40 * 24 * time.Hour)
	body = p.get("/keys?unusedForDays=30").body
	assert.Contains(t, body, kb.Key.Hint, "never used and created 40 days ago")

	res := p.get("/keys?expiresWithinDays=-1&unusedForDays=x")
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Must be a whole number of days.", fieldError(t, res.body, "unused-for"))
	res = p.get("/keys?expiresWithinDays=-1")
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, fieldError(t, res.body, "expires-within"), "must be between 0 and")
}

// The page records the actor as the JSON API does (admin.RequestActor):
// a User-Agent with bidi controls, line separators or control characters
// is cleaned of them, and the change goes through.
func TestAUserAgentWithBidiOrSeparatorCharactersNeverBlocksAChangeOnThePage(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui", options: adminui.Config{Actor: admin.RequestActor("admin-token")}})
	for ua, recorded := range map[string]string{
		"evil\u202eexe.gnp":    "evil\ufffdexe.gnp",
		"isolate\u2068x\u2069": "isolate\ufffdx\ufffd",
		"line\u2028para\u2029": "line\ufffdpara\ufffd",
		"mark\u200e\u061c":     "mark\ufffd\ufffd",
	} { // (Go's client refuses to send control characters in a header.)
		res := p.postRaw("/accounts", "application/x-www-form-urlencoded", url.Values{"label": {"a"}}.Encode(), http.Header{"User-Agent": {ua}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode, "User-Agent %+q: %s", ua, res.body)
		id := uuid.MustParse(regexp.MustCompile(`[0-9a-f-]{36}`).FindString(res.Header.Get("Location")))
		page, err := p.mgr.ListAuditEvents(t.Context(), serviceaccount.ListAuditEventsParams{ServiceAccountID: id})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.Equal(t, recorded, page.Items[0].Actor.UserAgent, "User-Agent %+q", ua)
	}
}

// The rotation dialog offers the create form's presets, after the default
// of keeping the old key's lifetime; each choice sets the new key's expiry.
func TestRotateOffersExpiryPresets(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Presets", "")
	lifetime := 10 * 24 * time.Hour
	exp := start.Add(lifetime)
	k, err := p.mgr.CreateKey(context.Background(), id, serviceaccount.CreateKeyInput{ExpiresAt: &exp})
	require.NoError(t, err)
	rotate := func(keyID uuid.UUID, v url.Values) response {
		v.Set("grace", "0")
		return p.post("/accounts/"+id.String()+"/keys/"+keyID.String()+"/rotate", v)
	}
	newest := func() apikey.Key {
		keys, err := p.mgr.Keys(context.Background(), id)
		require.NoError(t, err)
		return keys[len(keys)-1]
	}

	body := p.get("/accounts/" + id.String() + "?dialog=rotate-key&key=" + k.Key.ID.String()).body
	assert.Contains(t, body, `<option value="same" selected>As long as the old key was given</option>`)
	assert.Contains(t, body, `<option value="30">In 30 days (`)
	assert.Contains(t, body, `<option value="date">On a date…</option>`)
	assert.NotContains(t, fieldTag(t, body, "rotate-expiry"), "never")

	require.Equal(t, http.StatusCreated, rotate(k.Key.ID, url.Values{"expiry": {"same"}}).StatusCode)
	got := newest()
	require.NotNil(t, got.ExpiresAt)
	assert.Equal(t, start.Add(lifetime), *got.ExpiresAt, "the old key's lifetime, from now")

	require.Equal(t, http.StatusCreated, rotate(got.ID, url.Values{"expiry": {"30"}}).StatusCode)
	got = newest()
	require.NotNil(t, got.ExpiresAt)
	assert.Equal(t, start.Add(30*24*time.Hour), *got.ExpiresAt)

	require.Equal(t, http.StatusCreated, rotate(got.ID, url.Values{"expiry": {"date"}, "expiresOn": {"2027-02-01"}}).StatusCode)
	got = newest()
	require.NotNil(t, got.ExpiresAt)
	assert.Equal(t, "2027-02-01T23:59:59Z", got.ExpiresAt.Format(time.RFC3339))

	res := rotate(got.ID, url.Values{"expiry": {"12"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Choose one of the offered expirations.", fieldError(t, res.body, "rotate-expiry"))
	assert.Contains(t, fieldTag(t, res.body, "rotate-expiry"), `aria-invalid="true"`)
	res = rotate(got.ID, url.Values{"expiry": {"date"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "Choose the expiration date, or choose another expiration above.", fieldError(t, res.body, "rotate-expires-on"))
	assert.Equal(t, got.ID, newest().ID, "no refused rotation wrote a key")
}
