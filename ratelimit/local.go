package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxKeys is how many budgets a [Local] tracks when its
// configuration names no number. An entry costs about 45 to 80 bytes (a
// map slot of 35 to 70, depending on how full the map is, and the 8-byte
// budget it points to), so the default table stays under 8 MB.
const DefaultMaxKeys = 100_000

// maxMaxKeys bounds LocalConfig.MaxKeys against typing errors.
const maxMaxKeys = 100_000_000

// localShards is the number of independently locked parts of a large
// table, so that concurrent requests for different keys rarely wait for
// each other. Tables smaller than localShards*minShardKeys use one shard,
// so that MaxKeys is exact for small tables.
const (
	localShards  = 32
	minShardKeys = 64
)

// LocalConfig configures a [Local]. The zero value is valid.
type LocalConfig struct {
	// MaxKeys bounds how many budgets are tracked at once (default
	// DefaultMaxKeys, at most 100,000,000). The bound holds per shard: a
	// table of 2,048 keys or more is split into 32 shards of MaxKeys/32
	// keys each, so a shard may start evicting a little before MaxKeys keys
	// are tracked in all.
	//
	// When a new key arrives at a full shard, every budget in the shard that
	// is full again (its TAT in the past) is dropped, since it carries no
	// state. If none is, the budget nearest to full is evicted: its key gets
	// a full budget at its next request, which is the least state the table
	// can lose. Where only authenticated keys reach the limiter (as in the
	// middleware), filling the table takes that many valid keys in use
	// within their periods.
	MaxKeys int
}

// Local is the in-process GCRA limiter. Its budgets hold per process. It is
// safe for concurrent use, and charges an already tracked key without
// allocating.
type Local struct {
	seed     maphash.Seed
	shards   []localShard
	shardCap int
}

// localShard is one locked part of the table: a key's TAT in Unix
// nanoseconds. The map holds pointers, so that charging a tracked key
// takes the lock only to read (one lookup) and moves the TAT with a
// compare-and-swap, allocating nothing; only a new key takes the lock to
// write. A charge racing the eviction of its key may land on the evicted
// budget and be lost, which is what eviction does to that key anyway.
type localShard struct {
	mu  sync.RWMutex
	tat map[Key]*Budget
	_   [40]byte // keeps neighbouring shards' locks off one cache line
}

var _ Limiter = (*Local)(nil)

// NewLocal returns an in-process limiter, or an error naming a bad
// configuration value.
func NewLocal(cfg LocalConfig) (*Local, error) {
	maxKeys := cfg.MaxKeys
	if maxKeys == 0 {
		maxKeys = DefaultMaxKeys
	}
	if maxKeys < 1 || maxKeys > maxMaxKeys {
		return nil, fmt.Errorf("ratelimit: MaxKeys %d is outside 1…%d", cfg.MaxKeys, maxMaxKeys)
	}
	n := 1
	if maxKeys >= localShards*minShardKeys {
		n = localShards
	}
	l := &Local{seed: maphash.MakeSeed(), shards: make([]localShard, n), shardCap: maxKeys / n}
	for i := range l.shards {
		l.shards[i].tat = make(map[Key]*Budget)
	}
	return l, nil
}

// Allow charges one request to key's budget at time now; see [Limiter].
// The context is not used: the decision takes no I/O.
func (l *Local) Allow(_ context.Context, key Key, limit Limit, now time.Time) (Decision, error) {
	if err := limit.Validate(); err != nil {
		return Decision{}, err
	}
	allowed, backlog := l.charge(key, limit, now.UnixNano())
	return NewDecision(limit, allowed, backlog), nil
}

// charge is GCRA on one key: it returns whether the request passes and how
// far the TAT is ahead of now afterwards.
func (l *Local) charge(key Key, limit Limit, now int64) (bool, time.Duration) {
	r := Rate{limit: limit, interval: int64(limit.Interval()), capacity: int64(limit.capacity())}
	s := l.shard(key)
	s.mu.RLock()
	b := s.tat[key]
	s.mu.RUnlock()
	if b == nil {
		return l.chargeNew(s, key, r, now)
	}
	return b.Charge(r, now)
}

// chargeNew is charge for a key the shard does not track yet: it makes
// room if the shard is full and adds the key's budget. Another request
// may have added it meanwhile, which is then charged.
func (l *Local) chargeNew(s *localShard, key Key, r Rate, now int64) (bool, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Under the write lock no other charge of this shard's map runs, but a
	// holder of the Budget (see Local.Budget) may: Charge's CAS is needed.
	return l.budgetLocked(s, key, now).Charge(r, now)
}

// budgetLocked returns key's budget, tracking it (and making room for it)
// if it is new. The caller holds s's write lock.
func (l *Local) budgetLocked(s *localShard, key Key, now int64) *Budget {
	b := s.tat[key]
	if b == nil {
		if len(s.tat) >= l.shardCap {
			s.makeRoom(now)
		}
		b = new(Budget)
		s.tat[key] = b
	}
	return b
}

// Budget returns key's budget, tracking it with a full budget if it is
// new (now is the caller's clock, as Allow's, should room be made), so that a caller that charges the same key on every request (the
// middleware, which keeps it in the key's cache entry) charges it with one
// compare-and-swap: no shard lookup, no lock. The budget stays shared with
// Allow for as long as the table tracks key. When the table evicts key
// (see LocalConfig.MaxKeys), a holder keeps charging the evicted budget
// while Allow starts a full one: the key gets a full budget, which is what
// eviction does to it anyway. Holders must therefore drop the budget as
// often as the table's bound requires them to: the middleware drops it
// with the cache entry (at the cache's TTL at the latest).
func (l *Local) Budget(key Key, now time.Time) *Budget {
	s := l.shard(key)
	s.mu.RLock()
	b := s.tat[key]
	s.mu.RUnlock()
	if b != nil {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return l.budgetLocked(s, key, now.UnixNano())
}

// Budget is one key's GCRA state in a [Local]: its theoretical arrival time
// (TAT) in Unix nanoseconds. Its zero value is a full budget.
type Budget struct{ tat atomic.Int64 }

// Rate is a validated [Limit] with what GCRA derives from it computed
// once: build it with [Limit.Rate].
type Rate struct {
	limit              Limit
	interval, capacity int64
}

// Rate validates l (see [Limit.Validate]) and returns it compiled for
// [Budget.Charge].
func (l Limit) Rate() (Rate, error) {
	if err := l.Validate(); err != nil {
		return Rate{}, err
	}
	return Rate{limit: l, interval: int64(l.Interval()), capacity: int64(l.capacity())}, nil
}

// Limit is the limit r was compiled from.
func (r Rate) Limit() Limit { return r.limit }

// Charge charges one request at now (Unix nanoseconds) under r: whether it
// passes, and how far the TAT is ahead of now afterwards (the backlog of
// [NewDecision], which builds the decision when the caller needs one). A
// refused request is not charged. It allocates nothing and takes no lock.
func (b *Budget) Charge(r Rate, now int64) (bool, time.Duration) {
	for {
		old := b.tat.Load()
		tat := max(old, now)
		next := tat + r.interval
		if next-now > r.capacity {
			return false, time.Duration(tat - now)
		}
		if b.tat.CompareAndSwap(old, next) {
			return true, time.Duration(next - now)
		}
	}
}

// makeRoom drops every budget that is full again, or, when there is none,
// the one nearest to full. The caller holds the lock.
func (s *localShard) makeRoom(now int64) {
	var oldest Key
	var oldestTAT int64
	found, dropped := false, false
	for k, p := range s.tat {
		if tat := p.tat.Load(); tat <= now {
			delete(s.tat, k)
			dropped = true
		} else if !found || tat < oldestTAT {
			oldest, oldestTAT, found = k, tat, true
		}
	}
	if !dropped {
		delete(s.tat, oldest)
	}
}

func (l *Local) shard(key Key) *localShard {
	if len(l.shards) == 1 {
		return &l.shards[0]
	}
	// Seeded per table, so that callers cannot aim many keys at one shard.
	return &l.shards[maphash.Comparable(l.seed, key)%uint64(len(l.shards))]
}

// Len reports how many budgets are tracked, for tests and metrics.
func (l *Local) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.RLock()
		n += len(s.tat)
		s.mu.RUnlock()
	}
	return n
}
