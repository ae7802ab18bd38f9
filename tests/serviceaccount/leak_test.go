package serviceaccount_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// lookupCounter counts the store's key lookups, to prove that garbage
// never reaches the store.
type lookupCounter struct {
	store.Store
	lookups atomic.Int64
}

func (s *lookupCounter) KeyByHash(ctx context.Context, h apikey.Hash) (store.Credential, error) {
	s.lookups.Add(1)
	return s.Store.KeyByHash(ctx, h)
}

type leakFixture struct {
	m       *serviceaccount.Manager
	st      *lookupCounter
	clock   *clockwork.FakeClock
	account serviceaccount.Account
	key     serviceaccount.CreatedKey
	mu      sync.Mutex // guards changes, appended by concurrent reports
	changes []serviceaccount.Change
}

func newLeakFixture(t *testing.T, s store.Store) *leakFixture {
	t.Helper()
	f := &leakFixture{st: &lookupCounter{Store: s}, clock: clockwork.NewFakeClockAt(start)}
	m, err := serviceaccount.NewManager(serviceaccount.Config{Store: f.st, Clock: f.clock})
	require.NoError(t, err)
	f.m = m
	ctx := t.Context()
	f.account, err = m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "deploy"})
	require.NoError(t, err)
	f.key, err = m.CreateKey(ctx, f.account.ID, serviceaccount.CreateKeyInput{Name: "ci"})
	require.NoError(t, err)
	m.Subscribe(func(c serviceaccount.Change) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.changes = append(f.changes, c)
	})
	f.clock.Advance(1)
	return f
}

func (f *leakFixture) leakEvents(t *testing.T) []serviceaccount.AuditEvent {
	t.Helper()
	page, err := f.m.ListAuditEvents(t.Context(), serviceaccount.ListAuditEventsParams{Action: store.ActionKeyLeaked})
	require.NoError(t, err)
	return page.Items
}

var report = serviceaccount.LeakReport{URL: "https://github.com/octo/repo/blob/abc/config.yml", Source: "content"}

func TestReportLeakedKeyDisablesTheKeyInOneAuditedChange(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s store.Store) {
		f := newLeakFixture(t, s)
		ctx := t.Context()

		out, err := f.m.ReportLeakedKey(ctx, f.key.Plaintext, report)
		require.NoError(t, err)
		assert.Equal(t, serviceaccount.LeakOutcome{TruePositive: true, Tenant: store.DefaultTenant, AccountID: f.account.ID,
			KeyID: f.key.Key.ID, Taken: serviceaccount.LeakedKeyDisable}, out)
		assert.Equal(t, "true_positive", out.Label())
		assert.Equal(t, []serviceaccount.Change{{Tenant: store.DefaultTenant, Kind: serviceaccount.KeyDisabled, AccountID: f.account.ID, KeyID: f.key.Key.ID}},
			f.changes, "announced, so the middleware drops the key at once")

		c, err := f.m.LookupKey(ctx, f.key.Key.Hash)
		require.NoError(t, err)
		require.True(t, c.Key.Disabled())
		assert.WithinDuration(t, f.clock.Now(), *c.Key.DisabledAt, time.Microsecond)

		events := f.leakEvents(t)
		require.Len(t, events, 1)
		e := events[0]
		require.NotNil(t, e.Actor)
		assert.Equal(t, serviceaccount.Actor{ID: "secret-scanning"}, *e.Actor)
		assert.Equal(t, f.account.ID, e.ServiceAccountID)
		assert.Equal(t, &f.key.Key.ID, e.TargetID)
		var d map[string]any
		require.NoError(t, json.Unmarshal(e.Details, &d))
		assert.Equal(t, map[string]any{"url": report.URL, "source": "content"}, d["report"])
		assert.Nil(t, d["before"].(map[string]any)["disabledAt"])
		assert.NotNil(t, d["after"].(map[string]any)["disabledAt"])
		assert.Equal(t, f.key.Key.Hint, d["after"].(map[string]any)["hint"])
		whole, err := json.Marshal(e)
		require.NoError(t, err)
		assert.NotContains(t, string(whole), f.key.Plaintext)
		assert.NotContains(t, string(whole), hex.EncodeToString(f.key.Key.Hash[:]))
	})
}

func TestReportLeakedKeyTwiceChangesNothingTheSecondTime(t *testing.T) {
	f := newLeakFixture(t, memstore.New())
	ctx := t.Context()
	_, err := f.m.ReportLeakedKey(ctx, f.key.Plaintext, report)
	require.NoError(t, err)
	f.changes = nil

	again, err := f.m.ReportLeakedKey(ctx, f.key.Plaintext, serviceaccount.LeakReport{URL: "https://github.com/other", Source: "commit"})
	require.NoError(t, err)
	assert.True(t, again.TruePositive, "still ours")
	assert.Empty(t, again.Taken, "already disabled")
	assert.Empty(t, f.changes)
	assert.Len(t, f.leakEvents(t), 1, "no duplicate event")

	// An administrator enables it again; a new report disables it again.
	enabled := false
	_, err = f.m.PatchKey(ctx, f.account.ID, f.key.Key.ID, serviceaccount.KeyPatch{Disabled: &enabled})
	require.NoError(t, err)
	again, err = f.m.ReportLeakedKey(ctx, f.key.Plaintext, report)
	require.NoError(t, err)
	assert.Equal(t, serviceaccount.LeakedKeyDisable, again.Taken)
	assert.Len(t, f.leakEvents(t), 2)
}

func TestReportLeakedKeyCanDelete(t *testing.T) {
	f := newLeakFixture(t, memstore.New())
	ctx := t.Context()
	out, err := f.m.ReportLeakedKey(ctx, f.key.Plaintext, serviceaccount.LeakReport{URL: report.URL, Source: report.Source, Action: serviceaccount.LeakedKeyDelete})
	require.NoError(t, err)
	assert.True(t, out.TruePositive)
	assert.Equal(t, serviceaccount.LeakedKeyDelete, out.Taken)
	assert.Equal(t, []serviceaccount.Change{{Tenant: store.DefaultTenant, Kind: serviceaccount.KeyDeleted, AccountID: f.account.ID, KeyID: f.key.Key.ID}}, f.changes)
	_, err = f.m.LookupKey(ctx, f.key.Key.Hash)
	require.ErrorIs(t, err, store.ErrNotFound)
	events := f.leakEvents(t)
	require.Len(t, events, 1)
	var d map[string]any
	require.NoError(t, json.Unmarshal(events[0].Details, &d))
	assert.Nil(t, d["after"])
	assert.Equal(t, f.key.Key.Hint, d["before"].(map[string]any)["hint"])

	// Reported again: the key is gone, so nothing says it was ours.
	again, err := f.m.ReportLeakedKey(ctx, f.key.Plaintext, report)
	require.NoError(t, err)
	assert.Equal(t, "false_positive", again.Label())
}

func TestReportLeakedKeyDeletesADisabledKeyWhenAsked(t *testing.T) {
	f := newLeakFixture(t, memstore.New())
	ctx := t.Context()
	disabled := true
	_, err := f.m.PatchKey(ctx, f.account.ID, f.key.Key.ID, serviceaccount.KeyPatch{Disabled: &disabled})
	require.NoError(t, err)
	out, err := f.m.ReportLeakedKey(ctx, f.key.Plaintext, serviceaccount.LeakReport{Action: serviceaccount.LeakedKeyDelete})
	require.NoError(t, err)
	assert.Equal(t, serviceaccount.LeakedKeyDelete, out.Taken)
	assert.Len(t, f.leakEvents(t), 1)
}

func TestReportLeakedKeyRecordsTheContextsActor(t *testing.T) {
	f := newLeakFixture(t, memstore.New())
	actor := serviceaccount.Actor{ID: "secret-scanning", Address: "192.0.2.1:443", UserAgent: "GitHub-Hookshot"}
	_, err := f.m.ReportLeakedKey(serviceaccount.WithActor(t.Context(), actor), f.key.Plaintext, report)
	require.NoError(t, err)
	events := f.leakEvents(t)
	require.Len(t, events, 1)
	assert.Equal(t, actor, *events[0].Actor)
}

func TestReportLeakedKeyFitsTheReportInTheLog(t *testing.T) {
	f := newLeakFixture(t, memstore.New())
	long := "https://github.com/" + string(make([]byte, 5000))
	_, err := f.m.ReportLeakedKey(t.Context(), f.key.Plaintext, serviceaccount.LeakReport{URL: long, Source: "con\u202etent\n"})
	require.NoError(t, err, "text the log refuses never makes a report fail")
	var d struct {
		Report struct{ URL, Source string } `json:"report"`
	}
	require.NoError(t, json.Unmarshal(f.leakEvents(t)[0].Details, &d))
	assert.Len(t, []rune(d.Report.URL), serviceaccount.MaxLeakURLLength)
	assert.Equal(t, "con\uFFFDtent\uFFFD", d.Report.Source)
}

func TestReportLeakedKeyFalsePositives(t *testing.T) {
	f := newLeakFixture(t, memstore.New())
	ctx := t.Context()
	other, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(t, err)
	before := f.st.lookups.Load()
	for name, token := range map[string]string{
		"garbage":           "not a key at all",
		"wrong checksum":    corruptKey(f.key.Plaintext),
		"another prefix":    "ghp_" + f.key.Plaintext[3:],
		"empty":             "",
		"truncated":         f.key.Plaintext[:len(f.key.Plaintext)-1],
		"leading space":     " " + f.key.Plaintext,
		"twice the key":     f.key.Plaintext + f.key.Plaintext,
		"well formed other": other,
	} {
		out, err := f.m.ReportLeakedKey(ctx, token, report)
		require.NoError(t, err, name)
		assert.Equal(t, serviceaccount.LeakOutcome{}, out, name)
		assert.Equal(t, "false_positive", out.Label(), name)
	}
	assert.Equal(t, before+1, f.st.lookups.Load(), "only the well-formed key reached the store")
	assert.Empty(t, f.leakEvents(t))
	assert.Empty(t, f.changes)
	c, err := f.m.LookupKey(ctx, f.key.Key.Hash)
	require.NoError(t, err)
	assert.False(t, c.Key.Disabled())
}

func TestReportLeakedKeyRefusesAnUnknownAction(t *testing.T) {
	f := newLeakFixture(t, memstore.New())
	_, err := f.m.ReportLeakedKey(t.Context(), f.key.Plaintext, serviceaccount.LeakReport{Action: "revoke"})
	var verr *serviceaccount.ValidationError
	require.True(t, errors.As(err, &verr), "%v", err)
	assert.Equal(t, "action", verr.Fields[0].Field)
	assert.Empty(t, f.leakEvents(t))
}

func TestReportLeakedKeyErrorsHoldNoToken(t *testing.T) {
	f := newLeakFixture(t, memstore.New())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.m.ReportLeakedKey(serviceaccount.WithActor(ctx, serviceaccount.Actor{ID: "bad\nactor"}), f.key.Plaintext, report)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), f.key.Plaintext)
	assert.NotContains(t, err.Error(), hexSHA(f.key.Plaintext))
}

func corruptKey(key string) string {
	last := byte('x')
	if key[len(key)-1] == 'x' {
		last = 'y'
	}
	return key[:len(key)-1] + string(last)
}

func hexSHA(token string) string {
	h := apikey.HashKey(token)
	return hex.EncodeToString(h.Bytes())
}

// Reports of one key that arrive together (GitHub finds a key in several
// places at once) disable it once: the transaction reads the key locked,
// so the second finds it disabled.
func TestConcurrentReportsOfOneKeyWriteOneEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s store.Store) {
		f := newLeakFixture(t, s)
		const reports = 4
		outs := make(chan serviceaccount.LeakOutcome, reports)
		errs := make(chan error, reports)
		for range reports {
			go func() {
				out, err := f.m.ReportLeakedKey(t.Context(), f.key.Plaintext, report)
				outs <- out
				errs <- err
			}()
		}
		taken := 0
		for range reports {
			require.NoError(t, <-errs)
			out := <-outs
			assert.True(t, out.TruePositive)
			if out.Taken != "" {
				taken++
			}
		}
		assert.Equal(t, 1, taken, "one report disabled the key")
		assert.Len(t, f.leakEvents(t), 1)
	})
}
