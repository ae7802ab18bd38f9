package middleware

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/internal/buildinfo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// meterName is the instrumentation scope of the middleware's instruments:
// the package's import path, as OpenTelemetry's contrib packages name
// theirs.
const meterName = "github.com/seed-c7fc2061/serviceaccounts/middleware"

// The instruments. Their names and meanings are part of the API: see the
// package documentation, section Metrics.
const (
	metricAuthentications = "serviceaccounts.authentications"
	metricAuthorizations  = "serviceaccounts.authorizations"
	metricCacheLookups    = "serviceaccounts.cache.lookups"
	metricLookupDuration  = "serviceaccounts.store.lookup.duration"
	metricFlushBatches    = "serviceaccounts.lastused.flushes"
	metricFlushKeys       = "serviceaccounts.lastused.keys"
	metricFlushFailures   = "serviceaccounts.lastused.flush.failures"
)

// codeOK is the code attribute of a request that passed.
const codeOK = "ok"

// authCodes are the values of the code attribute of
// serviceaccounts.authentications: "ok" and every code Authenticate can
// answer with. authzCodes are those of serviceaccounts.authorizations:
// "ok" and every code Require can answer with, and the tenant check's
// refusals (Config.TenantFrom), which come after authentication. Both are reported from the
// first collection on, at 0 until they happen, so that a rate over them
// needs no series to appear first.
var (
	authCodes = []string{codeOK, "no_credentials", "malformed_key", "ambiguous_credentials",
		"unknown_key", "expired_key", "disabled_key", "disabled_account", codeTooManyAttempts, "unavailable", "internal"}
	authzCodes = []string{codeOK, "forbidden", "body_too_large", "unreadable_body", "ambiguous_body",
		"malformed_query", "ambiguous_header", "invalid_tenant", "wrong_tenant", "ip_not_allowed", "outside_key_scope", "rate_limited", "unavailable", "internal"}
)

// cacheResult is what the cache did for one authentication.
type cacheResult uint8

const (
	cacheNone        cacheResult = iota // not consulted: no key, a malformed one, DisableCache, Close begun
	cacheHit                            // a cached principal
	cacheNegativeHit                    // a cached "no such key"
	cacheMiss                           // absent or outdated: a store lookup, unless the key fails its checksum
	numCacheResults
)

var cacheResultNames = [numCacheResults]string{cacheHit: "hit", cacheNegativeHit: "negative_hit", cacheMiss: "miss"}

// metrics counts what the middleware does.
//
// On the request path it is only atomic adds: one per authentication, one
// per Require. Each authentication increments exactly one cell of
// authentications, chosen by its cache result and its code, and the
// exported counters (authentications by code, cache lookups by result) are
// sums of cells computed when a reader collects. The OpenTelemetry
// instruments for them are asynchronous (observable counters), so a
// request never calls into the SDK: with an SDK installed, a request costs
// what it costs without one, and attribute sets are built once here.
//
// The store lookup duration and the last-use flushes are recorded
// synchronously, with precomputed options: they run on a cache miss and
// once per flush interval, not per request. The flush counters are added
// 0 when created, so that they too are reported from the first
// collection: an alert on the failures' rate needs no "or vector(0)".
// They stay synchronous, unlike the request counters, so that the last
// flush, made by Close, is still counted after Close returns.
type metrics struct {
	authentications [numCacheResults][]atomic.Int64 // [cache result][index in authCodes]
	authorizations  []atomic.Int64                  // [index in authzCodes]

	authCodeSets  []metric.ObserveOption
	authzCodeSets []metric.ObserveOption
	cacheSets     [numCacheResults]metric.ObserveOption

	lookupDuration metric.Float64Histogram
	lookupOutcomes [numLookupOutcomes][]metric.RecordOption
	flushBatches   metric.Int64Counter
	flushKeys      metric.Int64Counter
	flushFailures  metric.Int64Counter

	registration metric.Registration
}

// lookupOutcome is the outcome attribute of the store lookup duration.
type lookupOutcome uint8

const (
	lookupFound lookupOutcome = iota
	lookupNotFound
	lookupError
	numLookupOutcomes
)

var lookupOutcomeNames = [numLookupOutcomes]string{lookupFound: "found", lookupNotFound: "not_found", lookupError: "error"}

// newMetrics creates the instruments on mp (nil: the global provider) and
// registers the callback that reports the counters.
func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	if mp == nil {
		mp = otel.GetMeterProvider() // records nothing until the application installs one
	}
	meter := mp.Meter(meterName, metric.WithInstrumentationVersion(buildinfo.Version()))
	mt := &metrics{authorizations: make([]atomic.Int64, len(authzCodes))}
	for i := range mt.authentications {
		mt.authentications[i] = make([]atomic.Int64, len(authCodes))
	}
	for _, c := range authCodes {
		mt.authCodeSets = append(mt.authCodeSets, metric.WithAttributeSet(attribute.NewSet(attribute.String("code", c))))
	}
	for _, c := range authzCodes {
		mt.authzCodeSets = append(mt.authzCodeSets, metric.WithAttributeSet(attribute.NewSet(attribute.String("code", c))))
	}
	for r := cacheHit; r < numCacheResults; r++ {
		mt.cacheSets[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("result", cacheResultNames[r])))
	}
	for o := range numLookupOutcomes {
		mt.lookupOutcomes[o] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", lookupOutcomeNames[o])))}
	}

	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	authentications, err := meter.Int64ObservableCounter(metricAuthentications,
		metric.WithDescription("API key authentications, by code: ok, or the problem code of the refusal"),
		metric.WithUnit("{request}"))
	check(err)
	authorizations, err := meter.Int64ObservableCounter(metricAuthorizations,
		metric.WithDescription("Permission checks of Require, by code: ok (allowed), forbidden (denied), or the problem code of a request that could not be checked"),
		metric.WithUnit("{request}"))
	check(err)
	cacheLookups, err := meter.Int64ObservableCounter(metricCacheLookups,
		metric.WithDescription("Key cache lookups, by result: hit, negative_hit (a cached unknown key) or miss (absent or outdated; a store lookup follows unless the key is malformed)"),
		metric.WithUnit("{lookup}"))
	check(err)
	mt.lookupDuration, err = meter.Float64Histogram(metricLookupDuration,
		metric.WithDescription("Duration of the store lookups of keys missing from the cache, by outcome: found, not_found or error"),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
	check(err)
	mt.flushBatches, err = meter.Int64Counter(metricFlushBatches,
		metric.WithDescription("Batches of last-use times written (each one Manager.TouchKeys call)"),
		metric.WithUnit("{batch}"))
	check(err)
	mt.flushKeys, err = meter.Int64Counter(metricFlushKeys,
		metric.WithDescription("Keys whose last-use time was written"),
		metric.WithUnit("{key}"))
	check(err)
	mt.flushFailures, err = meter.Int64Counter(metricFlushFailures,
		metric.WithDescription("Batches of last-use times that failed to be written and were kept for the next interval"),
		metric.WithUnit("{batch}"))
	check(err)
	if len(errs) > 0 {
		return nil, fmt.Errorf("middleware: create instruments: %w", errors.Join(errs...))
	}
	// With the attribute sets flushed uses (none), so that the series exist
	// from the first collection. A provider installed as the global one
	// after this call gets them at the first flush instead: the global
	// provider forwards instruments, not measurements made before.
	for _, c := range []metric.Int64Counter{mt.flushBatches, mt.flushKeys, mt.flushFailures} {
		c.Add(context.Background(), 0)
	}
	mt.registration, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		mt.observe(o, authentications, authorizations, cacheLookups)
		return nil
	}, authentications, authorizations, cacheLookups)
	if err != nil {
		return nil, fmt.Errorf("middleware: register metrics callback: %w", err)
	}
	return mt, nil
}

// observe reports the counters' current totals.
func (mt *metrics) observe(o metric.Observer, authentications, authorizations, cacheLookups metric.Int64Observable) {
	var byCache [numCacheResults]int64
	for c := range authCodes {
		var n int64
		for r := range numCacheResults {
			v := mt.authentications[r][c].Load()
			n += v
			byCache[r] += v
		}
		o.ObserveInt64(authentications, n, mt.authCodeSets[c])
	}
	for r := cacheHit; r < numCacheResults; r++ {
		o.ObserveInt64(cacheLookups, byCache[r], mt.cacheSets[r])
	}
	for c := range authzCodes {
		o.ObserveInt64(authorizations, mt.authorizations[c].Load(), mt.authzCodeSets[c])
	}
}

// authenticated counts one authentication.
func (mt *metrics) authenticated(r cacheResult, err error) {
	// Success (index 0) is tested here, so that the usual request pays
	// no call of codeIndex.
	i := 0
	if err != nil {
		i = codeIndex(authCodes, authIndex, err)
	}
	mt.authentications[r][i].Add(1)
}

// authorized counts one decision of Require.
func (mt *metrics) authorized(err error) {
	i := 0
	if err != nil {
		i = codeIndex(authzCodes, authzIndex, err)
	}
	mt.authorizations[i].Add(1)
}

// lookedUp records the duration of one store lookup.
func (mt *metrics) lookedUp(d time.Duration, o lookupOutcome) {
	mt.lookupDuration.Record(context.Background(), d.Seconds(), mt.lookupOutcomes[o]...)
}

// flushed records one flush of n keys.
func (mt *metrics) flushed(n int, err error) {
	ctx := context.Background()
	if err != nil {
		mt.flushFailures.Add(ctx, 1)
		return
	}
	mt.flushBatches.Add(ctx, 1)
	mt.flushKeys.Add(ctx, int64(n))
}

// close stops the reporting of the counters.
func (mt *metrics) close() {
	_ = mt.registration.Unregister()
}

// authIndex and authzIndex hold, for each entry of outcomes, the index of
// its code in authCodes and authzCodes, so that counting a refusal by one
// of the sentinels costs the comparisons CodeOf makes and no string
// comparison.
var (
	authIndex  = codeIndexes(authCodes)
	authzIndex = codeIndexes(authzCodes)
)

func codeIndexes(codes []string) []int {
	idx := make([]int, len(outcomes))
	for i, o := range outcomes {
		if idx[i] = slices.Index(codes, o.code); idx[i] < 0 {
			idx[i] = len(codes) - 1
		}
	}
	return idx
}

// codeIndex is the index of err's code in codes, whose indexes by entry
// of outcomes are index; a code missing from codes is counted as the last
// one, "internal", which a test keeps from happening.
func codeIndex(codes []string, index []int, err error) int {
	if err == nil {
		return 0
	}
	if s, ok := err.(*sentinel); ok && s.outcome >= 0 {
		return index[s.outcome]
	}
	if i := slices.Index(codes, CodeOf(err)); i > 0 {
		return i
	}
	return len(codes) - 1
}
