package adminui_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func TestDeletingAKeyOrAPermissionAsksFirstNamingWhatGoes(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Confirm", "")
	ctx := context.Background()
	created, err := p.mgr.CreateKey(ctx, id, serviceaccount.CreateKeyInput{Name: "Nightly export"})
	require.NoError(t, err)
	hint := apikey.Hint(created.Plaintext)
	perm, err := p.mgr.AddPermission(ctx, id, serviceaccount.PermissionInput{ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses"})
	require.NoError(t, err)
	accountURL := "/admin/ui/accounts/" + id.String()
	keyURL := accountURL + "/keys/" + created.Key.ID.String()

	body := p.get("/accounts/" + id.String()).body
	assert.NotContains(t, body, `<form method="post" action="`+keyURL+`/delete">`+"\n            <button",
		"the table's delete is a link to the confirmation, not a form that deletes")
	assert.Contains(t, body, `href="`+accountURL+`?dialog=delete-key&amp;key=`+created.Key.ID.String()+`" data-dialog="delete-key"`)

	// Without JavaScript the link opens the page with the confirmation.
	res := p.get("/accounts/" + id.String() + "?dialog=delete-key&key=" + created.Key.ID.String())
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.True(t, dialogOpen(res.body, "delete-key"))
	assert.Contains(t, res.body, `<form method="post" action="`+keyURL+`/delete">`)
	assert.Contains(t, res.body, `<strong data-fill="what">“Nightly export” (`+hint+`)</strong>`)
	keys, err := p.mgr.Keys(ctx, id)
	require.NoError(t, err)
	assert.Len(t, keys, 1, "asking deletes nothing")

	res = p.get("/accounts/" + id.String() + "?dialog=delete-permission&permission=" + perm.ID.String())
	assert.True(t, dialogOpen(res.body, "delete-permission"))
	assert.Contains(t, res.body, `<form method="post" action="`+accountURL+`/permissions/`+perm.ID.String()+`/delete">`)
	assert.Contains(t, res.body, `<strong data-fill="what">study tekenradar · get-responses</strong>`)

	// Confirmed, the POST deletes as before; a confirmation of what is
	// gone opens nothing.
	p.seeOther(p.post("/accounts/"+id.String()+"/keys/"+created.Key.ID.String()+"/delete", nil), "/accounts/"+id.String(), "key-deleted")
	res = p.get("/accounts/" + id.String() + "?dialog=delete-key&key=" + created.Key.ID.String())
	assert.False(t, dialogOpen(res.body, "delete-key"))
	res = p.get("/accounts/" + id.String() + "?dialog=delete-permission&permission=" + created.Key.ID.String())
	assert.False(t, dialogOpen(res.body, "delete-permission"))
}

func TestRowActionsAreLabelledWithText(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	id := p.createAccount("Actions", "")
	_, err := p.mgr.CreateKey(context.Background(), id, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	body := p.get("/accounts/" + id.String()).body
	for _, label := range []string{"Rotate</a>", "Disable</button>", "Delete</a>"} {
		assert.Contains(t, body, `</svg>`+label, "a visible word beside the icon")
	}
}

func TestListCardsShowStatusKeyCountAndLastUse(t *testing.T) {
	t.Parallel()
	p := newPage(t, pageConfig{prefix: "/admin/ui"})
	ctx := context.Background()
	idle := p.createAccount("Idle", "")
	busy := p.createAccount("Busy", "")
	for range 3 {
		_, err := p.mgr.CreateKey(ctx, busy, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
	}
	keys, err := p.mgr.Keys(ctx, busy)
	require.NoError(t, err)
	require.NoError(t, p.mgr.TouchKeys(ctx, []serviceaccount.KeyTouch{{KeyID: keys[1].ID, UsedAt: p.clock.Now()}}))
	p.clock.Advance(3 * time.Hour)
	disabled := true
	_, err = p.mgr.PatchAccount(ctx, idle, serviceaccount.AccountPatch{Disabled: &disabled})
	require.NoError(t, err)

	body := p.get("/").body
	assert.Regexp(t, `(?s)Idle</span>.*?<span class="badge">Disabled</span>\s*<span>No API keys</span>\s*<span>Never used</span>`, body)
	assert.Regexp(t, `(?s)Busy</span>.*?<span>3 API keys</span>\s*<span>Last used <time datetime="2026-11-28T09:30:00Z" title="2026-11-28 09:30 UTC">3 hours ago<span class="visually-hidden"> \(2026-11-28 09:30 UTC\)</span></time></span>`, body)
}
