package secretscan_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

type managerFixture struct {
	gh   signer
	m    *serviceaccount.Manager
	key  serviceaccount.CreatedKey
	srv  *httptest.Server
	logs *syncBuffer
}

func newManagerFixture(t *testing.T, action serviceaccount.LeakedKeyAction) *managerFixture {
	t.Helper()
	f := &managerFixture{gh: newSigner(t, "gh-1"), logs: &syncBuffer{}}
	var err error
	f.m, err = serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	require.NoError(t, err)
	a, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "deploy"})
	require.NoError(t, err)
	f.key, err = f.m.CreateKey(t.Context(), a.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	log := slog.New(slog.NewJSONHandler(f.logs, nil))
	decide, err := secretscan.NewManagerDecider(secretscan.ManagerConfig{Manager: f.m, Action: action, Logger: log})
	require.NoError(t, err)
	h, err := secretscan.NewHandler(secretscan.HandlerConfig{Keys: staticKeys(t, f.gh), Decide: decide, Logger: log})
	require.NoError(t, err)
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *managerFixture) post(t *testing.T, body []byte, sign bool) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL, bytes.NewReader(body))
	require.NoError(t, err)
	if sign {
		req.Header.Set(secretscan.HeaderKeyID, f.gh.id)
		req.Header.Set(secretscan.HeaderSignature, f.gh.sign(t, body))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b.Bytes()
}

func (f *managerFixture) disabled(t *testing.T) bool {
	t.Helper()
	c, err := f.m.LookupKey(t.Context(), f.key.Key.Hash)
	require.NoError(t, err)
	return c.Key.Disabled()
}

func TestManagerDeciderDisablesReportedKeys(t *testing.T) {
	t.Parallel()
	f := newManagerFixture(t, "")
	other, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(t, err)
	body := reportBody(f.key.Plaintext, other, "sa_garbage")

	status, _ := f.post(t, body, false)
	require.Equal(t, http.StatusUnauthorized, status)
	require.False(t, f.disabled(t), "an unsigned report changes nothing")

	status, answer := f.post(t, body, true)
	require.Equal(t, http.StatusOK, status, "%s", answer)
	var results []secretscan.Result
	require.NoError(t, json.Unmarshal(answer, &results))
	assert.Equal(t, []secretscan.Result{
		{TokenHash: secretscan.TokenHash(f.key.Plaintext), TokenType: "serviceaccounts_api_key", Label: secretscan.TruePositive},
		{TokenHash: secretscan.TokenHash(other), TokenType: "serviceaccounts_api_key", Label: secretscan.FalsePositive},
		{TokenHash: secretscan.TokenHash("sa_garbage"), TokenType: "serviceaccounts_api_key", Label: secretscan.FalsePositive},
	}, results)
	assert.True(t, f.disabled(t))
	assert.Contains(t, f.logs.String(), "leaked key disabled")
	assert.Contains(t, f.logs.String(), f.key.Key.ID.String())
	assert.NotContains(t, f.logs.String(), f.key.Plaintext)

	// GitHub retrying the same report gets the same answer, and nothing
	// more is written.
	status, again := f.post(t, body, true)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, string(answer), string(again))
	page, err := f.m.ListAuditEvents(t.Context(), serviceaccount.ListAuditEventsParams{Action: store.ActionKeyLeaked})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, serviceaccount.SecretScanningActorID, page.Items[0].Actor.ID)
}

func TestManagerDeciderCanDelete(t *testing.T) {
	t.Parallel()
	f := newManagerFixture(t, serviceaccount.LeakedKeyDelete)
	body := reportBody(f.key.Plaintext)
	status, answer := f.post(t, body, true)
	require.Equal(t, http.StatusOK, status, "%s", answer)
	assert.Contains(t, string(answer), `"true_positive"`)
	_, err := f.m.LookupKey(t.Context(), f.key.Key.Hash)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestNewManagerDeciderChecksItsConfig(t *testing.T) {
	t.Parallel()
	_, err := secretscan.NewManagerDecider(secretscan.ManagerConfig{})
	require.ErrorContains(t, err, "Manager")
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	require.NoError(t, err)
	_, err = secretscan.NewManagerDecider(secretscan.ManagerConfig{Manager: m, Action: "revoke"})
	require.ErrorContains(t, err, "Action")
}
