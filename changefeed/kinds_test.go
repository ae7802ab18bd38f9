package changefeed_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/changefeed"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// policyRecorder is a recorder that also caches policies.
type policyRecorder struct{ *recorder }

func (r policyRecorder) PolicyChanged(tenant string) { r.events <- "policy:" + tenant }

func (l *fakeLog) recordKind(kind store.ChangeKind, tenant string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.head++
	l.changes = append(l.changes, store.RecordedChange{ID: l.head, Kind: kind, Tenant: tenant, RecordedAt: at})
}

func TestAPolicyRowReachesOnlySubscribersThatCachePolicies(t *testing.T) {
	log := &fakeLog{}
	h := newHarness(t, log, changefeed.Config{})
	h.poll(t)
	require.Equal(t, "all", h.rec.next(t))
	policies := policyRecorder{newRecorder()}
	h.feed.Subscribe(policies)
	require.Equal(t, "all", policies.next(t), "a late subscriber starts with AllChanged")

	log.recordKind(store.ChangePolicy, "acme", h.clock.Now())
	log.recordKind(store.ChangePolicy, "", h.clock.Now())
	a := uuid.New()
	log.record(a, h.clock.Now())
	h.tick(t)
	require.Equal(t, "policy:acme", policies.next(t))
	require.Equal(t, "policy:", policies.next(t), "the default policy")
	require.Equal(t, a.String(), policies.next(t))
	require.Equal(t, a.String(), h.rec.next(t), "a policy row is no account change")
	h.rec.none(t)
}

func TestARowOfAnUnknownKindDropsEverything(t *testing.T) {
	log := &fakeLog{}
	h := newHarness(t, log, changefeed.Config{})
	h.poll(t)
	require.Equal(t, "all", h.rec.next(t))
	log.recordKind("webhook", "acme", h.clock.Now())
	h.tick(t)
	require.Equal(t, "all", h.rec.next(t))
}
