package changefeed

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/seed-c7fc2061/serviceaccounts/internal/buildinfo"
)

func TestFeedInstrumentsMove(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { require.NoError(t, mp.Shutdown(context.Background())) })
	f, err := newMetrics(mp)
	require.NoError(t, err)

	f.changeReceived(40 * time.Millisecond)
	f.changeReceived(-time.Second) // the clocks disagree: 0
	f.changeReceived(0)
	f.failed("poll")
	f.failed("listen")
	f.failed("listen")
	f.failed("a table name, say") // never an unbounded attribute

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	require.Len(t, rm.ScopeMetrics, 1)
	require.Equal(t, meterName, rm.ScopeMetrics[0].Scope.Name)
	require.Equal(t, buildinfo.Version(), rm.ScopeMetrics[0].Scope.Version, "the scope carries the module's version")
	require.NotEmpty(t, rm.ScopeMetrics[0].Scope.Version)
	got := map[string]any{}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, dp := range d.DataPoints {
				op, _ := dp.Attributes.Value("operation")
				got[m.Name+" "+op.AsString()] = dp.Value
			}
		case metricdata.Histogram[float64]:
			require.Len(t, d.DataPoints, 1)
			got[m.Name] = [2]float64{float64(d.DataPoints[0].Count), d.DataPoints[0].Sum}
		}
	}
	require.Equal(t, map[string]any{
		"serviceaccounts.feed.changes ":        int64(3),
		"serviceaccounts.feed.lag":             [2]float64{3, 0.04},
		"serviceaccounts.feed.failures poll":   int64(1),
		"serviceaccounts.feed.failures listen": int64(2),
		"serviceaccounts.feed.failures prune":  int64(0),
		"serviceaccounts.feed.failures other":  int64(1),
	}, got)
}

func TestFeedCountersStartAtZero(t *testing.T) {
	// A fresh feed, nothing received or failed yet: every failure series
	// (and the changes counter) is in the first collection at 0, so that
	// an alert on a rate needs no "or vector(0)".
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { require.NoError(t, mp.Shutdown(context.Background())) })
	_, err := newMetrics(mp)
	require.NoError(t, err)

	require.Equal(t, map[string]int64{
		"serviceaccounts.feed.changes ":        0,
		"serviceaccounts.feed.failures poll":   0,
		"serviceaccounts.feed.failures listen": 0,
		"serviceaccounts.feed.failures prune":  0,
		"serviceaccounts.feed.failures other":  0,
	}, sums(t, reader))
}

// sums collects reader and returns the value of each counter's data
// point, by "name operation".
func sums(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok {
				require.True(t, d.IsMonotonic, "%s is a counter", m.Name)
				for _, dp := range d.DataPoints {
					op, _ := dp.Attributes.Value("operation")
					got[m.Name+" "+op.AsString()] = dp.Value
				}
			}
		}
	}
	return got
}

func TestANilFeedRecordsNothing(t *testing.T) {
	var f *metrics
	f.changeReceived(time.Second)
	f.failed("poll")
}
