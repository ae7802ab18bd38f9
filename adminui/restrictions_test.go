package adminui_test

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// restrictions are the fields of a key with every restriction.
func restrictions(v url.Values) url.Values {
	v.Set("scopes", "study:tekenradar:get-responses\nstudy:*:*")
	v.Set("allowedCidrs", "10.0.0.0/8\n192.0.2.7")
	v.Set("rateLimit", "100")
	v.Set("ratePeriod", "60")
	v.Set("metadata", "environment=staging\nteam=\"42\"\nreplicas=3\nbeta=true")
	return v
}

func TestCreateKeyWithRestrictions(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Restricted", "")
	res := p.post("/accounts/"+id.String()+"/keys", restrictions(url.Values{"name": {"export"}}))
	require.Equal(t, http.StatusCreated, res.StatusCode, res.body)
	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	k := keys[0]
	assert.Equal(t, []apikey.Scope{{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses"}, {ResourceType: "study", ResourceKey: "*", Action: "*"}}, k.Scopes)
	require.Len(t, k.AllowedCIDRs, 2)
	assert.Equal(t, "10.0.0.0/8", k.AllowedCIDRs[0].String())
	assert.Equal(t, "192.0.2.7/32", k.AllowedCIDRs[1].String())
	assert.Equal(t, &apikey.RateLimit{Limit: 100, Period: time.Minute}, k.RateLimit)
	assert.Equal(t, metadata.Map{"environment": "staging", "team": "42", "replicas": 3.0, "beta": true}, k.Metadata)

	// The row summarizes them; the edit dialog shows them as typed, with
	// the text that reads back as a number quoted so it stays text.
	body := p.get("/accounts/" + id.String()).body
	assert.Contains(t, body, `<li class="badge neutral">2 scopes</li>`)
	assert.Contains(t, body, `<li class="badge neutral">From 2 networks</li>`)
	assert.Contains(t, body, `<li class="badge neutral">100 per minute</li>`)
	assert.Contains(t, body, `<li class="badge neutral">4 metadata</li>`)
	assert.Contains(t, body, `aria-label="Edit restrictions of API key `+k.Hint+`"`)
	body = p.get("/accounts/" + id.String() + "?dialog=edit-restrictions&key=" + k.ID.String()).body
	assert.True(t, dialogOpen(body, "edit-restrictions"))
	assert.Contains(t, body, ">study:tekenradar:get-responses\nstudy:*:*</textarea>")
	assert.Contains(t, body, ">10.0.0.0/8\n192.0.2.7/32</textarea>")
	assert.Contains(t, fieldTag(t, body, "restrict-rate"), `value="100"`)
	assert.Contains(t, body, "beta=true\nenvironment=staging\nreplicas=3\nteam=&#34;42&#34;</textarea>")
}

func TestRestrictionErrorsAreSentencesNextToTheField(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Errors", "")
	post := func(field, value string) response {
		v := url.Values{"name": {"x"}}
		v.Set(field, value)
		return p.post("/accounts/"+id.String()+"/keys", v)
	}
	for _, c := range []struct {
		field, value, id, want string
	}{
		{"scopes", "study-tekenradar", "key-scopes", "Write scope 1 (\"study-tekenradar\") as type:key:action"},
		{"scopes", "study:tekenradar:get-responses\nstudy:tekenradar:fly", "key-scopes", "Scope 2:"},
		{"allowedCidrs", "10.0.0.1/8", "key-cidrs", "Network 1 has host bits set; the network is 10.0.0.0/8"},
		{"allowedCidrs", "intranet", "key-cidrs", "Network 1 must be a CIDR such as 10.0.0.0/8"},
		{"rateLimit", "lots", "key-rate", "Enter the number of requests as a whole number"},
		{"metadata", "environment", "key-metadata", `Write "environment" as name=value`},
		{"metadata", "bad name=1", "key-metadata", `"bad name": the name may hold only`},
	} {
		res := post(c.field, c.value)
		require.Equal(t, http.StatusBadRequest, res.StatusCode, c.value)
		assert.True(t, dialogOpen(res.body, "create-key"), c.value)
		assert.Contains(t, fieldError(t, res.body, c.id), htmlEscape(c.want), c.value)
		if c.field == "rateLimit" {
			assert.Contains(t, fieldTag(t, res.body, c.id), `value="`+c.value+`"`, "the input is kept")
		} else {
			assert.True(t, strings.Contains(res.body, htmlEscape(c.value)+"</textarea>"), "the input %q is kept", c.value)
		}
	}
	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Empty(t, keys, "no refused key was created")
}

func TestEditRestrictionsReplacesAndRemoves(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Edit", "")
	k, err := p.mgr.CreateKey(context.Background(), id, serviceaccount.CreateKeyInput{AllowedCIDRs: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	keyURL := "/accounts/" + id.String() + "/keys/" + k.Key.ID.String()

	res := p.post(keyURL+"/restrictions", url.Values{"scopes": {""}, "allowedCidrs": {""}, "rateLimit": {"5"}, "ratePeriod": {"1"}, "metadata": {"owner=ops"}})
	p.seeOther(res, "/accounts/"+id.String(), "key-restrictions-saved")
	got, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Nil(t, got[0].AllowedCIDRs, "an empty field removes the restriction")
	assert.Equal(t, &apikey.RateLimit{Limit: 5, Period: time.Second}, got[0].RateLimit)
	assert.Equal(t, metadata.Map{"owner": "ops"}, got[0].Metadata)

	res = p.post(keyURL+"/restrictions", url.Values{"allowedCidrs": {"300.1.1.1"}, "rateLimit": {"0"}, "ratePeriod": {"60"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "edit-restrictions"))
	assert.Contains(t, fieldError(t, res.body, "restrict-rate"), "from 1 to")
	assert.Contains(t, fieldTag(t, res.body, "restrict-rate"), `value="0"`)
	res = p.post(keyURL+"/restrictions", url.Values{"allowedCidrs": {"300.1.1.1"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, fieldError(t, res.body, "restrict-cidrs"), "Network 1 must be a CIDR")
	assert.Contains(t, res.body, ">300.1.1.1</textarea>")
	again, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, got[0].RateLimit, again[0].RateLimit, "nothing was written")
}

func TestRotateKeepsOrChangesRestrictions(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Rotate", "")
	k, err := p.mgr.CreateKey(context.Background(), id, serviceaccount.CreateKeyInput{
		AllowedCIDRs: []string{"10.0.0.0/8"}, RateLimit: &apikey.RateLimit{Limit: 7, Period: time.Hour}})
	require.NoError(t, err)
	keyURL := "/accounts/" + id.String() + "/keys/" + k.Key.ID.String()

	// The dialog shows the old key's restrictions.
	body := p.get("/accounts/" + id.String() + "?dialog=rotate-key&key=" + k.Key.ID.String()).body
	assert.Contains(t, body, ">10.0.0.0/8</textarea>")
	assert.Contains(t, fieldTag(t, body, "rotate-rate"), `value="7"`)
	assert.Regexp(t, `<option value="3600" selected>hour</option>`, body)

	// Sent back changed, they replace the old key's on the new key.
	res := p.post(keyURL+"/rotate", url.Values{"grace": {"0"}, "allowedCidrs": {"192.0.2.0/24"}, "rateLimit": {"7"}, "ratePeriod": {"3600"}, "scopes": {""}, "metadata": {""}})
	require.Equal(t, http.StatusCreated, res.StatusCode, res.body)
	keys, err := p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	var fresh apikey.Key
	for _, kk := range keys {
		if kk.ID != k.Key.ID {
			fresh = kk
		}
	}
	require.Len(t, fresh.AllowedCIDRs, 1)
	assert.Equal(t, "192.0.2.0/24", fresh.AllowedCIDRs[0].String())
	assert.Equal(t, &apikey.RateLimit{Limit: 7, Period: time.Hour}, fresh.RateLimit)

	// A rotation form without the fields copies them.
	res = p.post("/accounts/"+id.String()+"/keys/"+fresh.ID.String()+"/rotate", url.Values{"grace": {"0"}})
	require.Equal(t, http.StatusCreated, res.StatusCode, res.body)
	keys, err = p.mgr.Keys(context.Background(), id)
	require.NoError(t, err)
	for _, kk := range keys {
		if kk.ID != k.Key.ID && kk.ID != fresh.ID {
			require.Len(t, kk.AllowedCIDRs, 1)
			assert.Equal(t, "192.0.2.0/24", kk.AllowedCIDRs[0].String())
		}
	}

	// An error keeps the dialog open with the input.
	res = p.post(keyURL+"/rotate", url.Values{"grace": {"0"}, "scopes": {"nope"}})
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
}

// htmlEscape is s as the page writes it.
func htmlEscape(s string) string { return template.HTMLEscapeString(s) }
