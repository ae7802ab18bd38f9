package changefeed_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/changefeed"
	"github.com/seed-c7fc2061/serviceaccounts/internal/feedhooks"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

var dialects = []struct {
	name string
	url  func(testing.TB) string
}{
	{"sqlite", sqltest.SQLiteURL},
	{"postgres", sqltest.PostgresURL},
	{"mysql", sqltest.MySQLURL},
}

func forEachDialect(t *testing.T, test func(t *testing.T, dialect, url string)) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			test(t, d.name, d.url(t))
		})
	}
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})

// instance is one application instance: a Manager, a middleware with a
// long cache TTL, and (optionally) a feed, on a store of its own pool.
type instance struct {
	store *countingStore
	mgr   *serviceaccount.Manager
	mw    *middleware.Middleware
	h     http.Handler
	feed  *changefeed.Feed
	polls <-chan int64
	rec   *recorder
}

func newInstance(t *testing.T, st *sqlstore.Store, clock clockwork.Clock, withFeed bool) *instance {
	t.Helper()
	cs := &countingStore{Store: st}
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: cs, Clock: clock})
	require.NoError(t, err)
	in := &instance{store: cs, mgr: mgr, rec: newRecorder()}
	logger := slog.New(slog.DiscardHandler)
	if withFeed {
		in.feed, err = changefeed.New(changefeed.Config{Store: cs, Clock: clock, Logger: logger})
		require.NoError(t, err)
		in.polls = feedhooks.PollsForTest(in.feed)
	}
	in.mw, err = middleware.New(middleware.Config{Manager: mgr, CacheTTL: time.Minute, Feed: in.feed, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { in.mw.Close(context.Background()) })
	in.h = in.mw.Authenticate(okHandler)
	if withFeed {
		in.feed.Subscribe(in.rec) // after the middleware: it has dropped the entries when rec hears
		in.start(t)
	}
	return in
}

// start starts the feed and waits until it has read the head and, where
// it can listen, until it listens.
func (in *instance) start(t *testing.T) {
	t.Helper()
	in.feed.Start()
	t.Cleanup(in.feed.Close)
	in.nextPoll(t) // where the store can listen, the first poll follows the first LISTEN
	require.Equal(t, "all", in.rec.next(t))
	if in.feed.Stats().ListenSupported {
		require.True(t, in.feed.Stats().Listening)
	}
}

func (in *instance) nextPoll(t *testing.T) int64 {
	t.Helper()
	select {
	case p := <-in.polls:
		return p
	case <-time.After(waitFor):
		t.Fatal("no poll")
		return 0
	}
}

// expectChange waits until the feed delivers a change of account,
// letting polls through, and returns the real time it took.
func (in *instance) expectChange(t *testing.T, account uuid.UUID) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case e := <-in.rec.events:
			if e == account.String() {
				return
			}
		case <-in.polls:
		case <-deadline:
			t.Fatalf("the change of %s never arrived", account)
		}
	}
}

// catchUp lets the feed read the whole log (ticking the clock where it
// cannot listen) and drops the events it delivered.
func (in *instance) catchUp(t *testing.T, clock *clockwork.FakeClock, st *sqlstore.Store) {
	t.Helper()
	head, err := st.ChangeHead(t.Context())
	require.NoError(t, err)
	for pos := in.feed.Stats().Position; pos < head; {
		if !in.feed.Stats().Listening {
			clock.Advance(changefeed.DefaultPollInterval)
		}
		pos = in.nextPoll(t)
	}
	for len(in.rec.events) > 0 {
		<-in.rec.events
	}
}

func (in *instance) status(key string) int {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	in.h.ServeHTTP(w, r)
	return w.Code
}

// Two instances on one database, each caching for a minute: a key revoked
// through A is refused by B as soon as B's feed delivers the change, after
// one poll interval on every database and, on PostgreSQL, at once through
// LISTEN/NOTIFY, without any poll tick. Another account's cached entry
// survives.
func TestTwoInstancesOnOneDatabase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect, url string) {
		stores := sqltest.NewSharedStores(t, url, 2)
		clock := clockwork.NewFakeClock()
		a := newInstance(t, stores[0], clock, false)
		b := newInstance(t, stores[1], clock, true)
		ctx := t.Context()

		acct, err := a.mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "pipeline"})
		require.NoError(t, err)
		key, err := a.mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		other, err := a.mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "other"})
		require.NoError(t, err)
		otherKey, err := a.mgr.CreateKey(ctx, other.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		b.catchUp(t, clock, stores[0]) // so that later events are the revocation's
		require.Equal(t, http.StatusOK, b.status(key.Plaintext))
		require.Equal(t, http.StatusOK, b.status(otherKey.Plaintext))

		lookups := b.store.lookups.Load()

		begin := time.Now()
		require.NoError(t, a.mgr.DeleteKey(ctx, acct.ID, key.Key.ID))
		if !b.feed.Stats().Listening {
			require.Equal(t, http.StatusOK, b.status(key.Plaintext), "still cached: only the feed can tell B")
			clock.Advance(changefeed.DefaultPollInterval)
		}
		b.expectChange(t, acct.ID)
		delay := time.Since(begin)
		require.Equal(t, http.StatusUnauthorized, b.status(key.Plaintext))
		require.Equal(t, http.StatusOK, b.status(otherKey.Plaintext))
		require.Equal(t, lookups+1, b.store.lookups.Load(), "only the revoked key was looked up again: another account's entry is kept")
		t.Logf("%s: revocation seen by the other instance after %s (%s)", dialect, delay, map[bool]string{true: "LISTEN/NOTIFY", false: "one poll tick of the fake clock"}[b.feed.Stats().Listening])
	})
}

// countingStore counts key lookups; embedding keeps ChangeListener.
type countingStore struct {
	*sqlstore.Store
	lookups atomic.Int64
}

func (s *countingStore) KeyByHash(ctx context.Context, h apikey.Hash) (serviceaccount.Credential, error) {
	s.lookups.Add(1)
	return s.Store.KeyByHash(ctx, h)
}

// The listener's connection is killed (pg_terminate_backend) while a
// change is made, so its notification is lost: the feed reconnects at once
// and polls as soon as it listens again, and the change arrives without a
// single poll tick.
func TestAChangeMadeWhileTheListenerIsKilledArrives(t *testing.T) {
	url := sqltest.PostgresURL(t)
	stores := sqltest.NewSharedStores(t, url, 2)
	clock := clockwork.NewFakeClock() // never advanced: no tick polls
	a := newInstance(t, stores[0], clock, false)
	b := newInstance(t, stores[1], clock, true)
	ctx := t.Context()
	acct, err := a.mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "pipeline"})
	require.NoError(t, err)
	b.expectChange(t, acct.ID)
	key, err := a.mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	require.NoError(t, err)
	b.expectChange(t, acct.ID)
	require.Equal(t, http.StatusOK, b.status(key.Plaintext))

	// The listening session is the one whose last statement is LISTEN on
	// this store's channel (the table prefix makes it unique).
	db := sqltest.Open(t, url).DB
	var listener int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT pid FROM pg_stat_activity WHERE query = $1`,
		`LISTEN "`+stores[1].ChangeChannel()+`"`).Scan(&listener))

	var terminated bool
	require.NoError(t, db.QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", listener).Scan(&terminated))
	require.True(t, terminated)
	require.NoError(t, a.mgr.DeleteKey(ctx, acct.ID, key.Key.ID))

	b.expectChange(t, acct.ID)
	require.Equal(t, http.StatusUnauthorized, b.status(key.Plaintext))
	st := b.feed.Stats()
	require.GreaterOrEqual(t, st.ListenFailures, int64(1))
	require.GreaterOrEqual(t, st.Listens, int64(2), "it listens again")
}

// An instance stopped while a change is in flight and started again (a
// new feed, reading the head while the change is uncommitted) still gets
// the change when it commits.
func TestAFeedStartedDuringAChangeGetsIt(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect, url string) {
		stores := sqltest.NewSharedStores(t, url, 2)
		clock := clockwork.NewFakeClock()
		a := newInstance(t, stores[0], clock, false)
		b := newInstance(t, stores[1], clock, true)
		ctx := t.Context()
		acct, err := a.mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "pipeline"})
		require.NoError(t, err)

		// The change takes its id and waits before committing.
		recorded, release := make(chan struct{}), make(chan struct{})
		committed := make(chan error, 1)
		go func() {
			committed <- stores[0].InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.ChangeRecord(ctx, store.DefaultTenant, store.ChangeRecordParams{AccountID: acct.ID, RecordedAt: clock.Now()}); err != nil {
					return err
				}
				close(recorded)
				<-release
				return nil
			})
		}()
		<-recorded
		b.feed.Close() // stopped during the change

		again := newRecorder()
		feed, err := changefeed.New(changefeed.Config{Store: stores[1], Clock: clock, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		polls := feedhooks.PollsForTest(feed)
		feed.Subscribe(again)
		feed.Start()
		t.Cleanup(feed.Close)
		<-polls // where the store can listen, the first poll follows the first LISTEN
		require.Equal(t, "all", again.next(t), "a new feed drops everything")
		require.Equal(t, feed.Stats().ListenSupported, feed.Stats().Listening)
		close(release)
		require.NoError(t, <-committed)
		if !feed.Stats().Listening {
			clock.Advance(changefeed.DefaultPollInterval)
		}
		require.Equal(t, acct.ID.String(), again.next(t))
	})
}

// countingObserver counts what a metrics exporter would: feed.changes.
type countingObserver struct{ received atomic.Int64 }

func (o *countingObserver) ChangeReceived(time.Duration) { o.received.Add(1) }
func (o *countingObserver) Failed(changefeed.Op, error)  {}

// The Observer (the serviceaccounts.feed.changes metric, "changes made by
// other instances") hears only other instances' changes: an instance's
// own changes, read back from the shared log, are delivered but not
// counted as received.
func TestTheFeedCountsOnlyOtherInstancesChanges(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect, url string) {
		stores := sqltest.NewSharedStores(t, url, 2)
		clock := clockwork.NewFakeClock()
		other := newInstance(t, stores[0], clock, false)
		obs := &countingObserver{}
		feed, err := changefeed.New(changefeed.Config{Store: stores[1], Clock: clock, Logger: slog.New(slog.DiscardHandler), Observer: obs})
		require.NoError(t, err)
		self := &instance{feed: feed, polls: feedhooks.PollsForTest(feed), rec: newRecorder()}
		feed.Subscribe(self.rec)
		self.start(t)
		mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: stores[1], Clock: clock})
		require.NoError(t, err)
		ctx := t.Context()

		// Three changes of its own, two of the other instance's.
		mine, err := mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "mine"})
		require.NoError(t, err)
		_, err = mgr.CreateKey(ctx, mine.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		theirs, err := other.mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "theirs"})
		require.NoError(t, err)
		_, err = mgr.UpdateAccount(ctx, mine.ID, serviceaccount.AccountInput{Label: "mine, renamed"})
		require.NoError(t, err)
		_, err = other.mgr.CreateKey(ctx, theirs.ID, serviceaccount.CreateKeyInput{})
		require.NoError(t, err)
		self.catchUp(t, clock, stores[0])

		st := feed.Stats()
		require.EqualValues(t, 5, st.Changes, "every change is delivered")
		require.EqualValues(t, 3, st.OwnChanges)
		require.EqualValues(t, 2, obs.received.Load(), "only the other instance's changes are counted as received")
	})
}
