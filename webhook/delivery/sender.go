// Package delivery sends the webhook deliveries that a Manager writes to
// the outbox: a Sender claims due rows (one sender at a time per row,
// across every instance sharing the database), signs each attempt with
// the Standard Webhooks headers, POSTs it through the egress client, and
// records the outcome: a 2xx answer is delivered; anything else is retried
// on Standard Webhooks' schedule (at once, then 5 s, 5 min, 30 min, 2 h,
// 5 h, 10 h, 10 h) and then failed.
//
// Delivery is at least once: a sender that dies mid-send leaves its claim
// to run out (30 s), and another sender sends the row again with the same
// webhook-id, which receivers use to drop duplicates. In normal operation
// it is exactly once: a claimed row is sent by its claimer only, and a
// sender shutting down finishes what it started.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/signature"
)

// Defaults of Config.
const (
	DefaultPollInterval = time.Second
	DefaultLease        = 30 * time.Second
	DefaultConcurrency  = 8
)

// maxErrorLength bounds the error text kept with an attempt.
const maxErrorLength = 500

// Schedule returns the pause before the retry that follows failed attempt
// number attempt (1 for the first), and false when no retry follows:
// Standard Webhooks' schedule, eight attempts over about 27.6 hours.
func Schedule(attempt int) (time.Duration, bool) {
	pauses := [...]time.Duration{
		5 * time.Second, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
	}
	if attempt < 1 || attempt > len(pauses) {
		return 0, false
	}
	return pauses[attempt-1], true
}

// Config configures a Sender. Store is required.
type Config struct {
	Store store.Store
	// Client sends the deliveries; nil means one that refuses loopback,
	// private, link-local and CGNAT addresses (use the Manager's
	// WebhookClient, so creation and delivery agree).
	Client *egress.Client
	// Clock stamps attempts and judges what is due; nil means the real
	// clock.
	Clock clockwork.Clock
	// Logger receives failures of the outbox itself (never a secret or a
	// body); nil discards them.
	Logger *slog.Logger
	// PollInterval is how often the outbox is read when nothing wakes the
	// sender (default DefaultPollInterval): it bounds how late a delivery
	// written by another instance, or a retry, is sent.
	PollInterval time.Duration
	// Lease is how long a claim lasts (default DefaultLease); it must
	// exceed the client's timeout, so a claim never runs out mid-send.
	Lease time.Duration
	// Concurrency bounds the deliveries in flight (default
	// DefaultConcurrency), so that receivers that hang take at most that
	// many slots and never hold up the others for longer than their
	// timeout.
	Concurrency int
	// Wake, when set, makes the sender read the outbox at once (the
	// Manager's OutboxSignal: a change in this process enqueued
	// deliveries).
	Wake <-chan struct{}
}

// Sender sends the outbox's deliveries. Run it once per process.
type Sender struct {
	cfg   Config
	owner string

	mu       sync.Mutex
	inFlight int
	freed    chan struct{} // a send ended: a slot is free
}

// New checks cfg and fills in its defaults.
func New(cfg Config) (*Sender, error) {
	if cfg.Store == nil {
		return nil, errors.New("delivery: Config.Store is required")
	}
	if cfg.Client == nil {
		c, err := egress.NewClient(egress.Config{})
		if err != nil {
			return nil, fmt.Errorf("delivery: %w", err)
		}
		cfg.Client = c
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval < 0 || cfg.Lease < 0 || cfg.Concurrency < 0 {
		return nil, errors.New("delivery: PollInterval, Lease and Concurrency must not be negative")
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Lease == 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Lease <= egress.DefaultTimeout {
		return nil, fmt.Errorf("delivery: Lease %v must exceed a delivery's timeout (%v)", cfg.Lease, egress.DefaultTimeout)
	}
	return &Sender{cfg: cfg, owner: "sender-" + uuid.NewString(), freed: make(chan struct{}, 1)}, nil
}

// Run sends deliveries until ctx ends, then waits for the sends in flight
// to finish and be recorded (each is bounded by the client's timeout),
// so a shutdown leaves no claim behind, and returns ctx's error. Failures
// to read or write the outbox are logged and retried at the next poll.
func (s *Sender) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		full := s.claimAndSend(ctx, &wg)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if full {
			// Every free slot was filled: more may be due. Wait for a
			// slot rather than for the next poll.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-s.freed:
			}
			continue
		}
		timer := s.cfg.Clock.NewTimer(s.cfg.PollInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.Chan():
		case <-s.cfg.Wake:
			timer.Stop()
		case <-s.freed:
			timer.Stop()
		}
	}
}

// SendDue makes one round at once: it claims up to Concurrency due
// deliveries, sends them concurrently, records every outcome and returns
// how many it sent. Run does this continuously; SendDue serves tests and
// applications that drive sending themselves (a cron job, a queue
// worker). Do not call it while Run runs in the same Sender.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	claimed, err := s.cfg.Store.OutboxClaim(ctx, store.OutboxClaimParams{
		Owner: s.owner, Now: s.now(), Lease: s.cfg.Lease, Limit: s.cfg.Concurrency,
	})
	if err != nil {
		return 0, fmt.Errorf("delivery: claim deliveries: %w", err)
	}
	var wg sync.WaitGroup
	for _, d := range claimed {
		wg.Go(func() { s.send(d) })
	}
	wg.Wait()
	return len(claimed), nil
}

// claimAndSend claims as many due deliveries as there are free slots and
// starts sending them. It reports whether it filled every slot.
func (s *Sender) claimAndSend(ctx context.Context, wg *sync.WaitGroup) bool {
	s.mu.Lock()
	free := s.cfg.Concurrency - s.inFlight
	s.mu.Unlock()
	if free <= 0 {
		return true
	}
	claimed, err := s.cfg.Store.OutboxClaim(ctx, store.OutboxClaimParams{
		Owner: s.owner, Now: s.now(), Lease: s.cfg.Lease, Limit: free,
	})
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Logger.Warn("webhook outbox: claim deliveries", "error", err)
		}
		return false
	}
	s.mu.Lock()
	s.inFlight += len(claimed)
	s.mu.Unlock()
	for _, d := range claimed {
		wg.Go(func() {
			defer s.release()
			s.send(d)
		})
	}
	return len(claimed) == free
}

func (s *Sender) release() {
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	select {
	case s.freed <- struct{}{}:
	default:
	}
}

func (s *Sender) now() time.Time {
	return s.cfg.Clock.Now().UTC().Truncate(time.Microsecond)
}

// send makes one attempt and records it. It does not stop when Run's
// context ends: the attempt is bounded by the client's timeout, and
// finishing it is what lets a shutdown leave no claim behind.
func (s *Sender) send(d store.ClaimedDelivery) {
	ctx := context.Background()
	at := s.now()
	attempt := store.DeliveryAttempt{At: at}
	if err := s.post(ctx, d, at, &attempt); err != nil {
		attempt.Error = truncate(err.Error())
	}
	r := store.OutboxResult{ID: d.ID, Owner: s.owner, Attempts: append(d.Attempts, attempt)}
	switch pause, retry := Schedule(len(r.Attempts)); {
	case attempt.Error == "" && attempt.StatusCode >= 200 && attempt.StatusCode < 300:
		r.State, r.DeliveredAt = store.DeliveryDelivered, &at
	case retry:
		next := at.Add(pause)
		r.State, r.NextAttemptAt = store.DeliveryPending, &next
	default:
		r.State = store.DeliveryFailed
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.cfg.Store.OutboxRecord(ctx, r); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// The webhook was deleted meanwhile, or the claim ran out and
			// another sender holds the row: nothing to record.
			return
		}
		s.cfg.Logger.Warn("webhook outbox: record an attempt", "delivery", d.ID, "error", err)
	}
}

// post signs and sends one attempt, filling in the status; its error
// names only the receiver's scheme and host.
func (s *Sender) post(ctx context.Context, d store.ClaimedDelivery, at time.Time, attempt *store.DeliveryAttempt) error {
	secret, err := signature.ParseSecret(d.Secret)
	if err != nil {
		return errors.New("the webhook's stored secret is unusable")
	}
	h := http.Header{}
	if err := signature.SetHeaders(h, d.ID.String(), at, d.Body, secret); err != nil {
		return err
	}
	resp, err := s.cfg.Client.Post(ctx, d.URL, h, d.Body)
	if resp != nil {
		attempt.StatusCode = resp.StatusCode
	}
	return err // a status other than 2xx is recorded by the status alone
}

func truncate(s string) string {
	if len(s) <= maxErrorLength {
		return s
	}
	return s[:maxErrorLength] + "…"
}
