package changefeed

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

// meterName is the instrumentation scope of the feed's instruments: the
// package's import path.
const meterName = "github.com/seed-c7fc2061/serviceaccounts/changefeed"

// feedOperations are the values of the operation attribute of
// serviceaccounts.feed.failures; anything else is counted as "other".
var feedOperations = []string{"poll", "listen", "prune", "other"}

// metrics records what the feed does into the instruments documented with
// the middleware's (package middleware, section Metrics). Its methods
// allocate nothing and may be called from any goroutine; a nil *metrics
// records nothing.
type metrics struct {
	changes  metric.Int64Counter
	lag      metric.Float64Histogram
	failures metric.Int64Counter
	opSets   [][]metric.AddOption // by index in feedOperations
}

// newMetrics creates the feed's instruments on mp; nil means the global
// provider, which records nothing until the application installs one and
// forwards to it when it does, even for instruments created before.
func newMetrics(mp metric.MeterProvider) (*metrics, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter(meterName, metric.WithInstrumentationVersion(buildinfo.Version()))
	f := &metrics{}
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
		return nil, fmt.Errorf("changefeed: create instruments: %w", err)
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

// changeReceived counts one change made by another instance and records
// its lag: from its commit there to its being applied here. A negative lag
// (the two clocks disagree) is recorded as 0.
func (f *metrics) changeReceived(lag time.Duration) {
	if f == nil {
		return
	}
	ctx := context.Background()
	f.changes.Add(ctx, 1)
	f.lag.Record(ctx, max(lag, 0).Seconds())
}

// failed counts one failed operation of the feed: "poll", "listen",
// "prune", or any other name, counted as "other" so that the attribute's
// values stay a fixed set. The error is for the feed's log, not for
// metrics.
func (f *metrics) failed(op string) {
	if f == nil {
		return
	}
	i := slices.Index(feedOperations, op)
	if i < 0 {
		i = len(feedOperations) - 1
	}
	f.failures.Add(context.Background(), 1, f.opSets[i]...)
}
