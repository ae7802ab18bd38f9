package changefeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/otel/metric"

	"github.com/seed-c7fc2061/serviceaccounts/internal/lograte"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// Defaults for the zero values of Config.
const (
	// DefaultPollInterval is short of a second by the time a poll and
	// its delivery take, so that by default a change is seen within one
	// second on every database (at once on PostgreSQL, which pushes): the
	// worst case is one interval plus the poll that reads the change.
	DefaultPollInterval = 900 * time.Millisecond
	DefaultRetention    = 10 * time.Minute
)

const (
	// pageSize is how many changes one poll reads; a fuller backlog is
	// read by polling again at once.
	pageSize = 500
	// maxPagesPerPoll bounds that catching up, so Close is never kept
	// waiting by a flood.
	maxPagesPerPoll = 100
	// queryTimeout bounds one poll, prune or head read.
	queryTimeout = 10 * time.Second
	// The listener's reconnection pauses, doubled after each failure
	// that never reached LISTEN, with ±20% jitter so that twenty
	// instances do not reconnect in step after a database restart.
	minReconnectDelay = 100 * time.Millisecond
	maxReconnectDelay = 30 * time.Second
	// failureLogInterval spaces the log lines of one kind of failure.
	failureLogInterval = 10 * time.Second
)

// Store is what a Feed reads: every store.Store is one. A store
// that can also push (sqlstore on PostgreSQL) offers a listener through a
// ChangeListener() method, which the Feed uses unless PollOnly is set.
type Store = store.ChangeReader

// listenerSource is implemented by stores that may offer a listener; a
// nil listener means that this one cannot (sqlstore on MySQL or SQLite).
type listenerSource interface {
	ChangeListener() store.ChangeListener
}

// Config configures a Feed. Only Store is required.
type Config struct {
	Store Store
	// PollInterval is how often the log is read: a change arrives within
	// it, plus the poll that reads it, when nothing pushes it. 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
	// PollOnly never LISTENs, even on PostgreSQL: for a database reached
	// through PgBouncer in transaction mode, where a listening session
	// cannot be kept. Changes then arrive within PollInterval (plus the
	// poll).
	PollOnly bool
	// Retention is how long change rows are kept before this Feed deletes
	// them; it must exceed the longest pause of any instance's polling
	// that should not cost that instance its whole cache. 0 means
	// DefaultRetention.
	Retention time.Duration
	// Clock paces polls, pruning and reconnections and stamps the lag;
	// nil means the real clock. Use the Manager's.
	Clock clockwork.Clock
	// Logger receives failures (rate-limited) and reconnections; nil
	// means slog.Default().
	Logger *slog.Logger
	// Observer is told of every change received and every failure; nil
	// means none. Its methods must be quick.
	Observer Observer
	// MeterProvider receives the feed's metrics (serviceaccounts.feed.*,
	// documented with the middleware's); nil means the global provider.
	MeterProvider metric.MeterProvider
}

// Subscriber is told what to drop (store.ChangeSubscriber). The Feed
// calls AccountChanged for each change of the log (made by another
// instance or by this one: the Feed does not tell them apart), and
// AllChanged when changes may have been missed (the Feed has just started,
// or its position was pruned while it could not read). Both run in the
// Feed's goroutine and must be quick.
type Subscriber = store.ChangeSubscriber

// Op names what failed, for an Observer.
type Op string

// The operations of a Feed that can fail.
const (
	OpPoll   Op = "poll"
	OpListen Op = "listen"
	OpPrune  Op = "prune"
)

// Observer receives what a metrics exporter counts. See Stats for the
// same figures as totals.
type Observer interface {
	// ChangeReceived is called for each change made by another instance
	// read from the log (not for this instance's own, see
	// store.RecordedChange.Own), with its lag: from its
	// recording (the writer's clock) to its delivery to subscribers (this
	// Feed's clock).
	ChangeReceived(lag time.Duration)
	// Failed is called for each failed poll, listen or prune.
	Failed(op Op, err error)
}

// Stats are a Feed's running totals since New.
type Stats struct {
	Polls           int64 // successful polls
	PollFailures    int64
	Changes         int64 // changes delivered to subscribers, this instance's own included
	OwnChanges      int64 // of Changes, those made through this instance's store
	Resyncs         int64 // AllChanged deliveries
	Notifications   int64 // valid notifications heard
	Malformed       int64 // notifications ignored as not ours
	Listens         int64 // times LISTEN took effect (1 + reconnections)
	ListenFailures  int64
	Pruned          int64 // rows deleted by this instance
	PruneFailures   int64
	Position        int64         // the last change id delivered
	LastLag         time.Duration // lag of the last change from another instance
	Listening       bool          // a LISTEN is in effect now
	ListenSupported bool          // the store can push and PollOnly is off
}

// Feed follows the change log of a store shared by several instances and
// tells its subscribers (the middleware's cache) which accounts changed.
// Build it with New, Subscribe, Start it, and Close it on shutdown.
type Feed struct {
	store        Store
	listener     store.ChangeListener // nil: poll only
	pollInterval time.Duration
	retention    time.Duration
	clock        clockwork.Clock
	log          *slog.Logger
	observer     Observer
	metrics      *metrics

	mu   sync.Mutex
	subs []Subscriber

	// position is the last id delivered, 0 before the first poll that
	// read the head; written by the poller only, read by the listener.
	position atomic.Int64
	started  bool // the poller has read the head
	gap      gap  // the poller's only

	wake       chan struct{} // a buffered slot: "poll now"
	pruneEvery time.Duration // set by Start

	stats struct {
		polls, pollFailures, changes, own, resyncs, notifications, malformed atomic.Int64
		listens, listenFailures, pruned, pruneFailures                       atomic.Int64
		lastLag                                                              atomic.Int64
		listening                                                            atomic.Bool
	}
	logs [3]lograte.Limiter // by op: poll, listen, prune

	startOnce sync.Once
	stopOnce  sync.Once
	cancel    context.CancelFunc
	done      sync.WaitGroup

	// polled and pruned, when set by a test, receive the position after
	// each poll and the count after each prune.
	polled chan int64
	pruned chan int64
}

// New checks cfg and fills in its defaults. It does no I/O.
func New(cfg Config) (*Feed, error) {
	var errs []string
	if cfg.Store == nil {
		errs = append(errs, "Store is required")
	}
	if cfg.PollInterval < 0 {
		errs = append(errs, fmt.Sprintf("PollInterval is %s; it must be positive, or 0 for the default %s", cfg.PollInterval, DefaultPollInterval))
	}
	if cfg.Retention < 0 {
		errs = append(errs, fmt.Sprintf("Retention is %s; it must be positive, or 0 for the default %s", cfg.Retention, DefaultRetention))
	}
	if len(errs) > 0 {
		return nil, errors.New("changefeed: invalid Config: " + strings.Join(errs, "; "))
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Retention < 10*cfg.PollInterval {
		return nil, fmt.Errorf("changefeed: invalid Config: Retention (%s) must be at least ten PollIntervals (%s), or every short outage would flush every cache", cfg.Retention, 10*cfg.PollInterval)
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	mt, err := newMetrics(cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	f := &Feed{
		store:        cfg.Store,
		pollInterval: cfg.PollInterval,
		retention:    cfg.Retention,
		clock:        cfg.Clock,
		log:          cfg.Logger,
		observer:     cfg.Observer,
		metrics:      mt,
		wake:         make(chan struct{}, 1),
	}
	if src, ok := cfg.Store.(listenerSource); ok && !cfg.PollOnly {
		f.listener = src.ChangeListener()
	}
	return f, nil
}

// Subscribe adds s; the returned function removes it. A subscriber added
// after Start gets AllChanged first, since it missed what came before.
func (f *Feed) Subscribe(s Subscriber) (unsubscribe func()) {
	if f == nil {
		return func() {} // no feed (a database no other process shares): nothing to hear
	}
	f.mu.Lock()
	f.subs = append(f.subs, s)
	started := f.started
	f.mu.Unlock()
	if started {
		s.AllChanged()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			for i, x := range f.subs {
				if x == s {
					f.subs = append(f.subs[:i:i], f.subs[i+1:]...)
					break
				}
			}
		})
	}
}

// Start starts polling, pruning and (on PostgreSQL) listening, in
// goroutines of their own, and returns at once: a database that cannot be
// reached is logged and retried, never fatal, and the caches' TTL bounds
// what is missed meanwhile. The first successful poll reads the log's
// head and tells subscribers AllChanged. Start runs once; later calls do
// nothing.
func (f *Feed) Start() {
	f.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		f.cancel = cancel
		// The tickers exist before Start returns, so that a test
		// advancing a fake clock right after Start cannot miss a tick.
		poll := f.clock.NewTicker(f.pollInterval)
		f.pruneEvery = f.pruneInterval()
		prune := f.clock.NewTicker(f.pruneEvery)
		f.done.Add(2)
		go f.loop(ctx, poll, f.wake, f.pollStep, f.polled)
		go f.loop(ctx, prune, nil, f.prune, f.pruned)
		if f.listener != nil {
			// The listener's first attempt wakes the poller (listenLoop):
			// once LISTEN is in effect, so that one poll both reads the
			// head and catches up, or at once if the attempt fails. A
			// poke here as well would coalesce with the listener's or
			// not, as timing goes, making one poll or two.
			f.done.Add(1)
			go f.listenLoop(ctx)
		} else {
			f.pokeWake() // the first poll at once, not after an interval
		}
	})
}

// Close stops the Feed's goroutines and waits for them. Subscribers hear
// nothing more; their caches fall back on their TTL.
func (f *Feed) Close() {
	f.stopOnce.Do(func() {
		if f.cancel != nil {
			f.cancel()
		}
		f.done.Wait()
	})
}

// Stats returns the running totals.
func (f *Feed) Stats() Stats {
	s := &f.stats
	return Stats{
		Polls:           s.polls.Load(),
		PollFailures:    s.pollFailures.Load(),
		Changes:         s.changes.Load(),
		OwnChanges:      s.own.Load(),
		Resyncs:         s.resyncs.Load(),
		Notifications:   s.notifications.Load(),
		Malformed:       s.malformed.Load(),
		Listens:         s.listens.Load(),
		ListenFailures:  s.listenFailures.Load(),
		Pruned:          s.pruned.Load(),
		PruneFailures:   s.pruneFailures.Load(),
		Position:        f.position.Load(),
		LastLag:         time.Duration(s.lastLag.Load()),
		Listening:       s.listening.Load(),
		ListenSupported: f.listener != nil,
	}
}

func (f *Feed) pokeWake() {
	select {
	case f.wake <- struct{}{}:
	default: // a poll is due already
	}
}

// loop runs step on every tick and every wake-up (a nil wake never
// fires), one step at a time, until ctx ends. A test's report channel,
// when not nil, receives each step's result.
func (f *Feed) loop(ctx context.Context, ticker clockwork.Ticker, wake <-chan struct{}, step func(context.Context) int64, report chan<- int64) {
	defer f.done.Done()
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.Chan():
		case <-wake:
		}
		n := step(ctx)
		if report != nil {
			select {
			case report <- n:
			case <-ctx.Done():
				return
			}
		}
	}
}

// pollStep polls, for loop: on every tick and every wake-up. It returns
// the position reached.
func (f *Feed) pollStep(ctx context.Context) int64 {
	f.poll(ctx)
	return f.position.Load()
}

// poll reads the log after the position and delivers what it finds. It
// reads again at once while pages come back full.
func (f *Feed) poll(ctx context.Context) {
	for range maxPagesPerPoll {
		full, err := f.pollPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			f.stats.pollFailures.Add(1)
			f.failed(OpPoll, err)
			return
		}
		f.stats.polls.Add(1)
		if !full {
			return
		}
	}
}

func (f *Feed) pollPage(ctx context.Context) (full bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	if !f.started {
		// Start where the log is now; whatever was cached before may
		// predate changes this Feed will never read.
		head, err := f.store.ChangeHead(ctx)
		if err != nil {
			return false, err
		}
		f.position.Store(head)
		f.mu.Lock()
		f.started = true
		f.mu.Unlock()
		f.resync()
		return true, nil // read the page after the head at once
	}
	after := f.position.Load()
	page, err := f.store.ChangeList(ctx, store.ChangeListParams{After: after, Limit: pageSize})
	if err != nil {
		return false, err
	}
	if page.Head < after {
		// The log is behind us: the database was restored, or its
		// tables recreated. Nothing read before can be trusted.
		f.log.Warn("changefeed: the change log's head went back; dropping every cached entry", "position", after, "head", page.Head)
		f.position.Store(page.Head)
		f.gap = gap{}
		f.resync()
		return false, nil
	}
	now := f.clock.Now()
	subs := f.subscribers()
	// The position advances over consecutive ids only. Changes past a
	// missing id are delivered all the same (dropping an entry early is
	// harmless), once.
	pos, last := after, after
	for _, c := range page.Changes {
		last = c.ID
		if c.ID == pos+1 {
			pos = c.ID
		}
		if f.gap.delivered[c.ID] {
			continue
		}
		if pos != c.ID {
			f.gap.remember(c.ID)
		}
		for _, s := range subs {
			deliver(s, c)
		}
		f.stats.changes.Add(1)
		if c.Own {
			// Made through this instance's own store: the Manager told
			// its cache already, and it is no change "received".
			f.stats.own.Add(1)
			continue
		}
		lag := now.Sub(c.RecordedAt)
		f.stats.lastLag.Store(int64(lag))
		f.metrics.changeReceived(lag)
		if f.observer != nil {
			f.observer.ChangeReceived(lag)
		}
	}
	full = len(page.Changes) == pageSize
	if !full {
		last = page.Head
	}
	if pos < last {
		// Ids from pos+1 are missing below the head. Either they were
		// pruned before this instance read them, or their transactions
		// are committing: MySQL's InnoDB releases a transaction's locks
		// (letting the next change take the next id and commit) a moment
		// before its own commit is visible to new reads. So a missing id
		// is read again after gapRecheck; missing still, it was pruned.
		switch {
		case !f.gap.open || f.gap.at != pos:
			f.gap.open, f.gap.at, f.gap.since = true, pos, now
			f.clock.AfterFunc(gapRecheck, f.pokeWake)
			f.position.Store(pos)
			return false, nil
		case now.Sub(f.gap.since) < gapRecheck:
			f.position.Store(pos)
			return false, nil
		}
		f.log.Warn("changefeed: changes were pruned before this instance read them; dropping every cached entry", "position", pos, "head", page.Head)
		f.resync()
		pos = last
	}
	f.position.Store(pos)
	f.gap.forget(pos)
	return full, nil
}

// gapRecheck is how long a missing id is waited for before it is taken as
// pruned: far longer than a commit takes to become visible, far shorter
// than a poll interval.
const gapRecheck = 100 * time.Millisecond

// gap is what the poller knows of ids missing below the head.
type gap struct {
	open      bool
	at        int64     // the position the missing ids follow
	since     time.Time // when the poller first found them missing
	delivered map[int64]bool
}

func (g *gap) remember(id int64) {
	if g.delivered == nil {
		g.delivered = map[int64]bool{}
	}
	g.delivered[id] = true
}

// forget drops what the position has passed.
func (g *gap) forget(pos int64) {
	if g.open && g.at < pos {
		g.open = false
	}
	for id := range g.delivered {
		if id <= pos {
			delete(g.delivered, id)
		}
	}
}

func (f *Feed) subscribers() []Subscriber {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.subs
}

func (f *Feed) resync() {
	f.stats.resyncs.Add(1)
	for _, s := range f.subscribers() {
		s.AllChanged()
	}
}

// pruneInterval spreads pruning: each instance prunes about ten times per
// retention window, at a jittered moment, so that twenty instances rarely
// prune at once (and when they do, the store's SKIP LOCKED keeps them
// from waiting on one another).
func (f *Feed) pruneInterval() time.Duration {
	base := f.retention / 10
	return base/2 + time.Duration(rand.Int64N(int64(base)))
}

// prune deletes the rows older than the retention window, a batch at a
// time, for as long as batches come back non-empty (bounded).
func (f *Feed) prune(ctx context.Context) (deleted int64) {
	before := f.clock.Now().Add(-f.retention)
	for range maxPagesPerPoll {
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		n, err := f.store.ChangePrune(qctx, before)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				f.stats.pruneFailures.Add(1)
				f.failed(OpPrune, err)
			}
			return deleted
		}
		f.stats.pruned.Add(n)
		deleted += n
		if n == 0 {
			return deleted
		}
	}
	return deleted
}

// listenLoop keeps a LISTEN in effect. After every (re)connection it wakes
// the poller, which catches up with whatever was committed while nobody
// listened; the first attempt wakes it even when it fails, for the
// Feed's first poll. A connection that fails before LISTEN took effect is
// retried after a growing, jittered pause; one that was listening is
// retried at once.
func (f *Feed) listenLoop(ctx context.Context) {
	defer f.done.Done()
	delay := minReconnectDelay
	for first := true; ; first = false {
		listened := false
		err := f.listener.ChangeListen(ctx, store.ChangeListenParams{
			Listening: func() {
				listened = true
				f.stats.listens.Add(1)
				f.stats.listening.Store(true)
				f.pokeWake()
			},
			Notify: func(id int64) {
				f.stats.notifications.Add(1)
				if id > f.position.Load() {
					f.pokeWake()
				}
			},
			Malformed: func() { f.stats.malformed.Add(1) },
		})
		f.stats.listening.Store(false)
		if ctx.Err() != nil {
			return
		}
		f.stats.listenFailures.Add(1)
		f.failed(OpListen, err)
		if first && !listened {
			f.pokeWake() // Start's first poll, which waited for this attempt
		}
		if listened {
			delay = minReconnectDelay
			continue
		}
		jittered := delay*4/5 + time.Duration(rand.Int64N(int64(delay)*2/5+1))
		select {
		case <-ctx.Done():
			return
		case <-f.clock.After(jittered):
		}
		delay = min(delay*2, maxReconnectDelay)
	}
}

// failed counts, reports and (rate-limited) logs a failure. The errors
// come from the store, which never puts secrets in them.
func (f *Feed) failed(op Op, err error) {
	f.metrics.failed(string(op))
	if f.observer != nil {
		f.observer.Failed(op, err)
	}
	i := map[Op]int{OpPoll: 0, OpListen: 1, OpPrune: 2}[op]
	if suppressed, ok := f.logs[i].Allow(f.clock.Now(), failureLogInterval); ok {
		f.log.Error("changefeed: "+string(op)+" failed; retrying (caches fall back on their TTL meanwhile)",
			"err", err, "similarFailuresNotLogged", suppressed)
	}
}

// deliver tells s of change c by its kind: a policy change only to a
// subscriber that caches policies, and a kind this version does not know
// (written by a newer one) as "anything may have changed".
func deliver(s Subscriber, c store.RecordedChange) {
	switch c.Kind {
	case store.ChangeAccount, "":
		s.AccountChanged(c.AccountID)
	case store.ChangePolicy:
		if ps, ok := s.(store.PolicySubscriber); ok {
			ps.PolicyChanged(c.Tenant)
		}
	default:
		s.AllChanged()
	}
}
