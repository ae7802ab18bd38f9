// Package telemetry holds the OpenTelemetry instruments that more than one
// package of the module records into, so that their names, units and
// attributes are declared once. It uses the metric API only; the SDK and
// exporters are the application's choice.
//
// The change feed (changes received from other instances, how late they
// arrive, failed polls) records through [Feed]: the feed's package creates
// one with the MeterProvider its configuration was given and calls
// [Feed.Received], [Feed.Lag] and [Feed.Failed]. The instruments are
// documented with the middleware's, in the middleware package's
// documentation, section Metrics.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Provider returns mp, or the global provider when mp is nil: the default
// of every MeterProvider option of the module. The global provider records
// nothing until the application installs one, and forwards to it when it
// does, even for instruments created before.
func Provider(mp metric.MeterProvider) metric.MeterProvider {
	if mp == nil {
		return otel.GetMeterProvider()
	}
	return mp
}

// FeedOperation is what failed in the change feed.
type FeedOperation uint8

const (
	// FeedPoll is a poll for changes (a query).
	FeedPoll FeedOperation = iota
	// FeedListen is the PostgreSQL LISTEN connection (connect or receive).
	FeedListen
	// FeedPrune is the deletion of expired change rows.
	FeedPrune
	numFeedOperations
)

var feedOperationNames = [numFeedOperations]string{FeedPoll: "poll", FeedListen: "listen", FeedPrune: "prune"}

// Feed records what the change feed does. Its methods allocate nothing and
// may be called from any goroutine; a nil *Feed records nothing.
type Feed struct {
	changes  metric.Int64Counter
	lag      metric.Float64Histogram
	failures metric.Int64Counter
	opSets   [numFeedOperations][]metric.AddOption
}

// NewFeed creates the feed's instruments on mp (nil: the global provider)
// under the instrumentation scope name, the import path of the feed's
// package.
func NewFeed(mp metric.MeterProvider, scope string) (*Feed, error) {
	meter := Provider(mp).Meter(scope)
	f := &Feed{}
	var errs [3]error
	f.changes, errs[0] = meter.Int64Counter("serviceaccounts.feed.changes",
		metric.WithDescription("Changes made by other instances that this instance received from the change feed"),
		metric.WithUnit("{change}"))
	f.lag, errs[1] = meter.Float64Histogram("serviceaccounts.feed.lag",
		metric.WithDescription("Time from a change's commit on another instance to this instance applying it"),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	f.failures, errs[2] = meter.Int64Counter("serviceaccounts.feed.failures",
		metric.WithDescription("Failed operations of the change feed, by operation: poll, listen or prune"),
		metric.WithUnit("{failure}"))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("telemetry: create feed instruments: %w", err)
	}
	for op := range numFeedOperations {
		f.opSets[op] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("operation", feedOperationNames[op])))}
	}
	return f, nil
}

// Received counts n changes received from other instances.
func (f *Feed) Received(n int) {
	if f == nil || n <= 0 {
		return
	}
	f.changes.Add(context.Background(), int64(n))
}

// Lag records how long after its commit a change was applied here. A
// negative lag (clocks of two database sessions disagree) is recorded as 0.
func (f *Feed) Lag(d time.Duration) {
	if f == nil {
		return
	}
	f.lag.Record(context.Background(), max(d, 0).Seconds())
}

// Failed counts one failed operation of the feed.
func (f *Feed) Failed(op FeedOperation) {
	if f == nil || op >= numFeedOperations {
		return
	}
	f.failures.Add(context.Background(), 1, f.opSets[op]...)
}
