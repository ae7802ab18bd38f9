package changefeed_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/changefeed"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// waitFor bounds every wait of these tests for something that should
// happen at once; it is never slept.
const waitFor = 10 * time.Second

// fakeLog is a change log in memory, with failures on demand and an
// optional listener driven by the test.
type fakeLog struct {
	mu      sync.Mutex
	calls   map[string]int // by method
	head    int64
	changes []store.RecordedChange
	fail    error
	pruned  []time.Time // the cut-offs ChangePrune was called with

	listener *fakeListener // nil: cannot listen
}

func (l *fakeLog) record(id uuid.UUID, at time.Time) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.head++
	l.changes = append(l.changes, store.RecordedChange{ID: l.head, AccountID: id, RecordedAt: at})
	return l.head
}

func (l *fakeLog) setFailure(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

func (l *fakeLog) count(method string) {
	if l.calls == nil {
		l.calls = map[string]int{}
	}
	l.calls[method]++
}

func (l *fakeLog) ChangeHead(ctx context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count("head")
	return l.head, l.fail
}

func (l *fakeLog) ChangeList(ctx context.Context, p store.ChangeListParams) (store.ChangePage, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count("list")
	if l.fail != nil {
		return store.ChangePage{}, l.fail
	}
	page := store.ChangePage{Head: l.head}
	for _, c := range l.changes {
		if c.ID > p.After && len(page.Changes) < p.Limit {
			page.Changes = append(page.Changes, c)
		}
	}
	return page, nil
}

func (l *fakeLog) ChangePrune(ctx context.Context, before time.Time) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count("prune")
	l.pruned = append(l.pruned, before)
	n := len(l.changes)
	l.changes = slices.DeleteFunc(l.changes, func(c store.RecordedChange) bool { return c.RecordedAt.Before(before) })
	return int64(n - len(l.changes)), nil
}

func (l *fakeLog) ChangeListener() store.ChangeListener {
	if l.listener == nil {
		return nil
	}
	return l.listener
}

// fakeListener hands each ChangeListen call to the test, which decides
// what the "connection" does.
type fakeListener struct {
	calls chan listenCall
}

type listenCall struct {
	ctx  context.Context
	p    store.ChangeListenParams
	done chan error // the test sends ChangeListen's result
}

func (l *fakeListener) ChangeListen(ctx context.Context, p store.ChangeListenParams) error {
	c := listenCall{ctx: ctx, p: p, done: make(chan error)}
	select {
	case l.calls <- c:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recorder is a Subscriber that reports what it is told.
type recorder struct {
	events chan string // an account id, or "all"
}

func newRecorder() *recorder                    { return &recorder{events: make(chan string, 100)} }
func (r *recorder) AccountChanged(id uuid.UUID) { r.events <- id.String() }
func (r *recorder) AllChanged()                 { r.events <- "all" }

func (r *recorder) next(t *testing.T) string {
	t.Helper()
	select {
	case e := <-r.events:
		return e
	case <-time.After(waitFor):
		t.Fatal("no event")
		return ""
	}
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case e := <-r.events:
		t.Fatalf("unexpected event %s", e)
	default:
	}
}

type harness struct {
	interval time.Duration // the feed's poll interval
	log      *fakeLog
	clock    *clockwork.FakeClock
	feed     *changefeed.Feed
	polls    <-chan int64
	rec      *recorder
	logs     *bytes.Buffer
}

func newHarness(t *testing.T, log *fakeLog, cfg changefeed.Config) *harness {
	t.Helper()
	h := &harness{interval: cmp.Or(cfg.PollInterval, changefeed.DefaultPollInterval), log: log, clock: clockwork.NewFakeClock(), rec: newRecorder(), logs: &bytes.Buffer{}}
	cfg.Store = log
	cfg.Clock = h.clock
	cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: h.logs}, nil))
	f, err := changefeed.New(cfg)
	require.NoError(t, err)
	h.feed = f
	h.polls = f.PollsForTest()
	f.Subscribe(h.rec)
	f.Start()
	t.Cleanup(f.Close)
	return h
}

// poll waits for the next poll to end and returns the position.
func (h *harness) poll(t *testing.T) int64 {
	t.Helper()
	select {
	case p := <-h.polls:
		return p
	case <-time.After(waitFor):
		t.Fatal("no poll")
		return 0
	}
}

// tick advances the clock by one poll interval and waits for that poll.
func (h *harness) tick(t *testing.T) int64 {
	t.Helper()
	h.clock.Advance(h.interval)
	return h.poll(t)
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func TestStartDropsEverythingAndStartsAtTheHead(t *testing.T) {
	log := &fakeLog{}
	log.record(uuid.New(), time.Now()) // before the start: not delivered
	h := newHarness(t, log, changefeed.Config{})
	require.EqualValues(t, 1, h.poll(t))
	require.Equal(t, "all", h.rec.next(t))
	h.rec.none(t)

	a := uuid.New()
	log.record(a, h.clock.Now().Add(-300*time.Millisecond))
	require.EqualValues(t, 2, h.tick(t))
	require.Equal(t, a.String(), h.rec.next(t))
	st := h.feed.Stats()
	require.EqualValues(t, 1, st.Changes)
	require.Equal(t, 300*time.Millisecond+changefeed.DefaultPollInterval, st.LastLag, "recorded 300 ms before the tick, read one interval later")
	require.EqualValues(t, 1, st.Resyncs)
	require.False(t, st.ListenSupported)

	require.EqualValues(t, 2, h.tick(t), "nothing new")
	h.rec.none(t)
}

func TestChangesPrunedBeforeTheyWereReadDropEverything(t *testing.T) {
	log := &fakeLog{}
	h := newHarness(t, log, changefeed.Config{})
	h.poll(t)
	require.Equal(t, "all", h.rec.next(t))

	old := h.clock.Now().Add(-time.Hour)
	log.record(uuid.New(), old)
	log.record(uuid.New(), old)
	c := uuid.New()
	log.record(c, h.clock.Now())
	_, err := log.ChangePrune(t.Context(), h.clock.Now().Add(-time.Minute))
	require.NoError(t, err)

	// 1 and 2 are missing: 3 is delivered, but the position waits for
	// them, in case their commits are not visible yet.
	require.EqualValues(t, 0, h.tick(t))
	require.Equal(t, c.String(), h.rec.next(t))
	h.rec.none(t)
	// Still missing when read again: pruned.
	h.clock.Advance(100 * time.Millisecond)
	require.EqualValues(t, 3, h.poll(t))
	require.Equal(t, "all", h.rec.next(t))
	h.rec.none(t)
	require.EqualValues(t, 1, h.feed.Stats().Changes, "3 was delivered once")

	// All of them pruned: the head alone says so.
	log.record(uuid.New(), old)
	_, err = log.ChangePrune(t.Context(), h.clock.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.EqualValues(t, 3, h.tick(t))
	h.clock.Advance(100 * time.Millisecond)
	require.EqualValues(t, 4, h.poll(t))
	require.Equal(t, "all", h.rec.next(t))
	h.rec.none(t)
}

// A missing id that shows up when read again (a commit that became
// visible after the next one, as InnoDB allows) is delivered, and nothing
// is dropped wholesale.
func TestAChangeVisibleLateIsDeliveredWithoutDroppingEverything(t *testing.T) {
	log := &fakeLog{}
	h := newHarness(t, log, changefeed.Config{})
	h.poll(t)
	require.Equal(t, "all", h.rec.next(t))

	late, early := uuid.New(), uuid.New()
	log.record(late, h.clock.Now())
	log.record(early, h.clock.Now())
	log.mu.Lock()
	hidden := log.changes[0]
	log.changes = log.changes[1:] // 1 is not visible yet
	log.mu.Unlock()
	require.EqualValues(t, 0, h.tick(t))
	require.Equal(t, early.String(), h.rec.next(t))

	log.mu.Lock()
	log.changes = append([]store.RecordedChange{hidden}, log.changes...)
	log.mu.Unlock()
	h.clock.Advance(100 * time.Millisecond)
	require.EqualValues(t, 2, h.poll(t))
	require.Equal(t, late.String(), h.rec.next(t))
	h.rec.none(t)
	st := h.feed.Stats()
	require.EqualValues(t, 2, st.Changes)
	require.EqualValues(t, 1, st.Resyncs, "only the start's")
}

func TestAHeadBehindThePositionDropsEverything(t *testing.T) {
	log := &fakeLog{}
	log.record(uuid.New(), time.Now())
	log.record(uuid.New(), time.Now())
	h := newHarness(t, log, changefeed.Config{})
	require.EqualValues(t, 2, h.poll(t))
	require.Equal(t, "all", h.rec.next(t))

	log.mu.Lock()
	log.head, log.changes = 0, nil // the database was restored from an old backup
	log.mu.Unlock()
	require.EqualValues(t, 0, h.tick(t))
	require.Equal(t, "all", h.rec.next(t))
	a := uuid.New()
	log.record(a, h.clock.Now())
	require.EqualValues(t, 1, h.tick(t))
	require.Equal(t, a.String(), h.rec.next(t))
}

// Failures are counted, logged at most once per 10 s with the number left
// out, never fatal; the feed catches up when the store returns.
func TestPollFailuresAreCountedLoggedSparinglyAndRecovered(t *testing.T) {
	log := &fakeLog{}
	obs := &observer{}
	h := newHarness(t, log, changefeed.Config{Observer: obs, PollInterval: time.Second}) // ticks of 1 s: 10 of them per log line
	h.poll(t)
	require.Equal(t, "all", h.rec.next(t))

	log.setFailure(errors.New("connection refused"))
	a := uuid.New()
	log.record(a, h.clock.Now())
	for range 5 {
		h.tick(t)
	}
	require.EqualValues(t, 5, h.feed.Stats().PollFailures)
	require.Equal(t, 5, obs.failures(changefeed.OpPoll))
	require.Equal(t, 1, bytes.Count(h.logs.Bytes(), []byte("poll failed")), h.logs.String())
	for range 10 {
		h.tick(t)
	}
	require.EqualValues(t, 15, h.feed.Stats().PollFailures)
	require.Equal(t, 2, bytes.Count(h.logs.Bytes(), []byte("poll failed")), "one line per 10 s")
	require.Contains(t, h.logs.String(), "similarFailuresNotLogged=9")
	h.rec.none(t)

	log.setFailure(nil)
	require.EqualValues(t, 1, h.tick(t))
	require.Equal(t, a.String(), h.rec.next(t))
}

// A feed that cannot read the head at start retries at every tick and
// starts once it can.
func TestStartRetriesTheHead(t *testing.T) {
	log := &fakeLog{fail: errors.New("down")}
	h := newHarness(t, log, changefeed.Config{})
	require.EqualValues(t, 0, h.poll(t))
	h.rec.none(t)
	log.record(uuid.New(), time.Now())
	log.setFailure(nil)
	require.EqualValues(t, 1, h.tick(t))
	require.Equal(t, "all", h.rec.next(t))
}

// A full page is followed at once by the next one.
func TestABacklogIsReadInOnePoll(t *testing.T) {
	log := &fakeLog{}
	h := newHarness(t, log, changefeed.Config{})
	h.poll(t)
	require.Equal(t, "all", h.rec.next(t))
	h.rec.events = make(chan string, 2000)
	for range 1200 {
		log.record(uuid.New(), h.clock.Now())
	}
	require.EqualValues(t, 1200, h.tick(t))
	require.Len(t, h.rec.events, 1200)
}

func TestPruningDeletesRowsOlderThanTheRetention(t *testing.T) {
	log := &fakeLog{}
	clock := clockwork.NewFakeClock()
	f, err := changefeed.New(changefeed.Config{Store: log, Clock: clock, Retention: time.Minute, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	prunes := f.PrunesForTest()
	start := clock.Now()
	log.record(uuid.New(), start.Add(-2*time.Minute))
	log.record(uuid.New(), start)
	f.Start()
	t.Cleanup(f.Close)
	// The prune interval is jittered between 0.5 and 1.5 tenths of the
	// retention: 9 s at most here.
	clock.Advance(9 * time.Second)
	select {
	case n := <-prunes:
		require.EqualValues(t, 1, n)
	case <-time.After(waitFor):
		t.Fatal("no prune")
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	cutoff := log.pruned[0]
	require.False(t, cutoff.Before(start.Add(-time.Minute)), "cut-off %s is earlier than retention before now", cutoff)
	require.False(t, cutoff.After(start.Add(9*time.Second-time.Minute)), "cut-off %s is later than retention before now", cutoff)
	require.Len(t, log.changes, 1, "the change younger than the retention is kept")
	require.EqualValues(t, 1, f.Stats().Pruned)
}

// On a store that can push, a notification of a change not yet read polls
// at once; a reconnection polls too, to catch up; a listener that fails
// before listening is retried after a pause.
func TestListening(t *testing.T) {
	log := &fakeLog{listener: &fakeListener{calls: make(chan listenCall)}}
	h := newHarness(t, log, changefeed.Config{})
	require.True(t, h.feed.Stats().ListenSupported)
	call := <-log.listener.calls
	select {
	case <-h.polls:
		t.Fatal("polled before the first LISTEN took effect")
	default:
	}
	call.p.Listening()
	h.poll(t) // the first poll, once listening began: one poll reads the head and catches up
	require.Equal(t, "all", h.rec.next(t))
	require.True(t, h.feed.Stats().Listening)

	a := uuid.New()
	id := log.record(a, h.clock.Now())
	call.p.Notify(id)
	require.Equal(t, id, h.poll(t), "no clock tick needed")
	require.Equal(t, a.String(), h.rec.next(t))

	call.p.Notify(id) // already read: no poll
	call.p.Malformed()
	require.EqualValues(t, 1, h.feed.Stats().Malformed)

	// The connection breaks while a change is made: the next connection
	// is made at once, and polls as soon as it listens.
	b := uuid.New()
	log.record(b, h.clock.Now())
	call.done <- errors.New("terminating connection due to administrator command")
	call = <-log.listener.calls
	call.p.Listening()
	require.EqualValues(t, 2, h.poll(t))
	require.Equal(t, b.String(), h.rec.next(t))
	st := h.feed.Stats()
	require.EqualValues(t, 2, st.Listens)
	require.EqualValues(t, 1, st.ListenFailures)

	// Failing before listening: the next attempt waits for the backoff.
	call.done <- errors.New("the server closed the connection")
	call = <-log.listener.calls // at once: that one had listened
	call.done <- errors.New("connection refused")
	require.NoError(t, h.clock.BlockUntilContext(t.Context(), 3)) // poll and prune tickers, and the pause
	select {
	case <-log.listener.calls:
		t.Fatal("reconnected without a pause")
	default:
	}
	h.clock.Advance(200 * time.Millisecond) // above the first pause's jitter
	call = <-log.listener.calls
	call.p.Listening()
	h.poll(t)
}

// A listener whose first attempt fails does not hold the first poll back.
func TestAFirstListenThatFailsStillPollsAtOnce(t *testing.T) {
	log := &fakeLog{listener: &fakeListener{calls: make(chan listenCall)}}
	h := newHarness(t, log, changefeed.Config{})
	call := <-log.listener.calls
	call.done <- errors.New("connection refused")
	h.poll(t)
	require.Equal(t, "all", h.rec.next(t))
	require.False(t, h.feed.Stats().Listening)
}

func TestPollOnlyNeverListens(t *testing.T) {
	log := &fakeLog{listener: &fakeListener{calls: make(chan listenCall)}}
	h := newHarness(t, log, changefeed.Config{PollOnly: true})
	h.poll(t)
	require.False(t, h.feed.Stats().ListenSupported)
	select {
	case <-log.listener.calls:
		t.Fatal("listened")
	default:
	}
}

func TestConfigIsChecked(t *testing.T) {
	_, err := changefeed.New(changefeed.Config{})
	require.ErrorContains(t, err, "Store is required")
	_, err = changefeed.New(changefeed.Config{Store: &fakeLog{}, PollInterval: -time.Second, Retention: -1})
	require.ErrorContains(t, err, "PollInterval is -1s")
	require.ErrorContains(t, err, "Retention is -1ns")
	_, err = changefeed.New(changefeed.Config{Store: &fakeLog{}, PollInterval: 2 * time.Minute})
	require.ErrorContains(t, err, "at least ten PollIntervals")
}

// A subscriber that arrives late is told to drop everything first.
func TestALateSubscriberStartsWithAllChanged(t *testing.T) {
	log := &fakeLog{}
	h := newHarness(t, log, changefeed.Config{})
	h.poll(t)
	late := newRecorder()
	unsubscribe := h.feed.Subscribe(late)
	require.Equal(t, "all", late.next(t))
	unsubscribe()
	log.record(uuid.New(), h.clock.Now())
	h.tick(t)
	late.none(t)
}

type observer struct {
	mu     sync.Mutex
	failed map[changefeed.Op]int
}

func (o *observer) ChangeReceived(time.Duration) {}
func (o *observer) Failed(op changefeed.Op, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failed == nil {
		o.failed = map[changefeed.Op]int{}
	}
	o.failed[op]++
}

func (o *observer) failures(op changefeed.Op) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failed[op]
}

// An idle instance asks the store one question per poll interval (and
// prunes about ten times per retention window), whatever it caches.
func TestAnIdleFeedQueriesOncePerInterval(t *testing.T) {
	log := &fakeLog{}
	clock := clockwork.NewFakeClock()
	f, err := changefeed.New(changefeed.Config{Store: log, Clock: clock, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	polls, prunes := f.PollsForTest(), f.PrunesForTest()
	f.Start()
	t.Cleanup(f.Close)
	<-polls // the start: the head, and the page after it
	every := f.PruneIntervalForTest()
	require.GreaterOrEqual(t, every, 30*time.Second)
	require.Less(t, every, 90*time.Second)
	pruned := 0
	for i := 1; i <= 600; i++ { // ten minutes
		clock.Advance(time.Second)
		select {
		case <-polls:
		case <-time.After(waitFor):
			t.Fatal("no poll")
		}
		if time.Duration(i)*time.Second/every > time.Duration(i-1)*time.Second/every {
			select { // the prune ticker fired in this second
			case <-prunes:
				pruned++
			case <-time.After(waitFor):
				t.Fatal("no prune")
			}
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	require.Equal(t, 1, log.calls["head"])
	require.Equal(t, 601, log.calls["list"], "one per second, and one at the start")
	require.Equal(t, pruned, log.calls["prune"])
	require.Equal(t, int(600*time.Second/every), pruned)
	t.Logf("idle for 10 minutes: %d polls, %d prunes: %.3f queries a second", log.calls["list"], pruned, float64(log.calls["list"]+pruned)/600)
}
