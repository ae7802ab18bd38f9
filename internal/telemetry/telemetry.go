// Package telemetry holds the OpenTelemetry instruments that more than one
// package of the module records into, so that their names, units and
// attributes are declared once. It uses the metric API only; the SDK and
// exporters are the application's choice.
//
// The change feed (changes received from other instances, how late they
// arrive, failed polls) records through [Feed]: whoever starts the feed
// creates one with the application's MeterProvider and calls
// [Feed.ChangeReceived] and [Feed.Failed], which have the shape of the
// feed's observer (ChangeReceived(lag), Failed(op, err)), so an adapter of
// one line per method connects them. The instruments are documented with
// the middleware's, in the middleware package's documentation, section
// Metrics.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/seed-c7fc2061/serviceaccounts/internal/buildinfo"
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

// feedOperations are the values of the operation attribute of
// serviceaccounts.feed.failures; anything else is counted as "other".
var feedOperations = []string{"poll", "listen", "prune", "other"}

// Feed records what the change feed does. Its methods allocate nothing and
// may be called from any goroutine; a nil *Feed records nothing.
type Feed struct {
	changes  metric.Int64Counter
	lag      metric.Float64Histogram
	failures metric.Int64Counter
	opSets   [][]metric.AddOption // by index in feedOperations
}

// NewFeed creates the feed's instruments on mp (nil: the global provider)
// under the instrumentation scope name, the import path of the feed's
// package, with the module's version.
func NewFeed(mp metric.MeterProvider, scope string) (*Feed, error) {
	meter := Provider(mp).Meter(scope, metric.WithInstrumentationVersion(buildinfo.Version()))
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
		metric.WithDescription("Failed operations of the change feed, by operation: poll, listen, prune or other"),
		metric.WithUnit("{failure}"))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("telemetry: create feed instruments: %w", err)
	}
	for _, op := range feedOperations {
		f.opSets = append(f.opSets, []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("operation", op)))})
	}
	// Every series of the counters exists from the first collection, at 0,
	// so that an alert on a failure rate needs no "or vector(0)". (A
	// provider installed as the global one after this call gets them at
	// their first change: the global provider forwards instruments, not
	// measurements made before.)
	ctx := context.Background()
	f.changes.Add(ctx, 0)
	for _, set := range f.opSets {
		f.failures.Add(ctx, 0, set...)
	}
	return f, nil
}

// ChangeReceived counts one change made by another instance and records
// its lag: from its commit there to its being applied here. A negative lag
// (the two clocks disagree) is recorded as 0.
func (f *Feed) ChangeReceived(lag time.Duration) {
	if f == nil {
		return
	}
	ctx := context.Background()
	f.changes.Add(ctx, 1)
	f.lag.Record(ctx, max(lag, 0).Seconds())
}

// Failed counts one failed operation of the feed: "poll", "listen",
// "prune", or any other name, counted as "other" so that the attribute's
// values stay a fixed set. The error is for the feed's log, not for
// metrics.
func (f *Feed) Failed(op string) {
	if f == nil {
		return
	}
	i := slices.Index(feedOperations, op)
	if i < 0 {
		i = len(feedOperations) - 1
	}
	f.failures.Add(context.Background(), 1, f.opSets[i]...)
}
