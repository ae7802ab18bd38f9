package middleware_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/internal/buildinfo"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// metricsReader collects the middleware's metrics through the SDK, as an
// exporter would.
type metricsReader struct {
	t      *testing.T
	reader *sdkmetric.ManualReader
}

func withMetrics(t *testing.T) (*metricsReader, func(*middleware.Config)) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { require.NoError(t, mp.Shutdown(context.Background())) })
	return &metricsReader{t: t, reader: reader}, func(cfg *middleware.Config) { cfg.MeterProvider = mp }
}

func (mr *metricsReader) collect() metricdata.ResourceMetrics {
	mr.t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(mr.t, mr.reader.Collect(context.Background(), &rm))
	return rm
}

// sums returns the value of each data point of the counter name, by its
// attributes written as "key=value" (joined with "," when several).
func (mr *metricsReader) sums(name string) map[string]int64 {
	mr.t.Helper()
	got := map[string]int64{}
	for _, sm := range mr.collect().ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			require.True(mr.t, ok, "%s is a %T", name, m.Data)
			require.True(mr.t, sum.IsMonotonic, "%s is a counter", name)
			for _, dp := range sum.DataPoints {
				got[attrString(dp.Attributes.ToSlice())] = dp.Value
			}
		}
	}
	return got
}

// histogram returns the count and sum of the histogram name, by attributes.
func (mr *metricsReader) histogram(name string) map[string][2]float64 {
	mr.t.Helper()
	got := map[string][2]float64{}
	for _, sm := range mr.collect().ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			h, ok := m.Data.(metricdata.Histogram[float64])
			require.True(mr.t, ok, "%s is a %T", name, m.Data)
			for _, dp := range h.DataPoints {
				got[attrString(dp.Attributes.ToSlice())] = [2]float64{float64(dp.Count), dp.Sum}
			}
		}
	}
	return got
}

func attrString(kvs []attribute.KeyValue) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = string(kv.Key) + "=" + kv.Value.String()
	}
	return strings.Join(parts, ",")
}

// pointAttributes returns the attributes of each data point of m.
func pointAttributes(m metricdata.Metrics) [][]attribute.KeyValue {
	var out [][]attribute.KeyValue
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes.ToSlice())
		}
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes.ToSlice())
		}
	}
	return out
}

// nonZero drops the points that are 0: every code is reported from the
// start, and a test names only those it moved.
func nonZero(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func TestMetricsCountAuthenticationsByCodeAndCacheResult(t *testing.T) {
	mr, configure := withMetrics(t)
	f := newFixture(t, configure)
	h := f.handler()

	// Every code is reported before anything happened, at 0.
	require.Equal(t, map[string]int64{
		"code=ok": 0, "code=no_credentials": 0, "code=malformed_key": 0, "code=ambiguous_credentials": 0,
		"code=unknown_key": 0, "code=expired_key": 0, "code=disabled_key": 0, "code=disabled_account": 0,
		"code=too_many_attempts": 0, "code=unavailable": 0, "code=internal": 0,
	}, mr.sums("serviceaccounts.authentications"))

	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)                      // miss
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)                      // hit
	unknown := otherKey(t)                                                              //
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", unknown).Code)          // miss
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", unknown).Code)          // negative hit
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", "").Code)               // no cache
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", "sa_short").Code)       // no cache
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", malformed(f.key)).Code) // miss, then Parse fails

	twice := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	twice.Header.Add("Authorization", "Bearer "+f.key)
	twice.Header.Add("Authorization", "Bearer "+f.key)
	require.Equal(t, http.StatusBadRequest, serve(h, twice).Code) // no cache

	expires := t0.Add(time.Second)
	expiring := f.createKey(f.account, &expires)
	require.Equal(t, http.StatusOK, get(h, "/whoami", expiring.Plaintext).Code) // miss
	f.clock.Advance(time.Second)
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", expiring.Plaintext).Code) // hit, expired

	f.store.failLookups.Store(true)
	require.Equal(t, http.StatusServiceUnavailable, get(h, "/whoami", otherKey(t)).Code) // miss, store down

	require.Equal(t, map[string]int64{
		"code=ok": 3, "code=no_credentials": 1, "code=malformed_key": 2, "code=ambiguous_credentials": 1,
		"code=unknown_key": 2, "code=expired_key": 1, "code=unavailable": 1,
	}, nonZero(mr.sums("serviceaccounts.authentications")))
	require.Equal(t, map[string]int64{
		"result=hit": 2, "result=negative_hit": 1, "result=miss": 5,
	}, mr.sums("serviceaccounts.cache.lookups"))
	// The malformed key missed the cache but never reached the store.
	lookups := mr.histogram("serviceaccounts.store.lookup.duration")
	require.Equal(t, float64(2), lookups["outcome=found"][0])
	require.Equal(t, float64(1), lookups["outcome=not_found"][0])
	require.Equal(t, float64(1), lookups["outcome=error"][0])
	require.Equal(t, int64(4), f.store.lookups.Load())
}

func TestMetricsCountAuthorizationDecisions(t *testing.T) {
	mr, configure := withMetrics(t)
	f := newFixture(t, configure)
	h := f.handler()

	require.Equal(t, http.StatusOK, get(h, "/studies/tekenradar/responses?surveyKey=s1", f.key).Code)
	require.Equal(t, http.StatusOK, get(h, "/studies/tekenradar/responses?surveyKey=s2", f.key).Code)
	require.Equal(t, http.StatusForbidden, get(h, "/studies/tekenradar/responses?surveyKey=s3", f.key).Code)
	require.Equal(t, http.StatusForbidden, get(h, "/studies/other/responses?surveyKey=s1", f.key).Code)
	require.Equal(t, http.StatusBadRequest, get(h, "/studies/tekenradar/responses?surveyKey=s1;x=1", f.key).Code)
	// Refused by Authenticate: Require never decides.
	require.Equal(t, http.StatusUnauthorized, get(h, "/studies/tekenradar/responses?surveyKey=s1", "").Code)

	require.Equal(t, map[string]int64{"code=ok": 2, "code=forbidden": 2, "code=malformed_query": 1},
		nonZero(mr.sums("serviceaccounts.authorizations")))
}

func TestMetricsTimeStoreLookupsWithTheManagersClock(t *testing.T) {
	mr, configure := withMetrics(t)
	f := newFixture(t, configure)
	f.store.onLookup = func() { f.clock.Advance(25 * time.Millisecond) }
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", otherKey(t)).Code)

	require.Equal(t, map[string][2]float64{
		"outcome=found":     {1, 0.025},
		"outcome=not_found": {1, 0.025},
	}, mr.histogram("serviceaccounts.store.lookup.duration"))
}

func TestMetricsCountFlushes(t *testing.T) {
	mr, configure := withMetrics(t)
	f := newFixture(t, configure)
	h := f.handler()
	other := f.createKey(f.account, nil)

	f.store.failTouches.Store(true)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	f.clock.Advance(interval)
	f.store.nextTouch(t) // failed, kept for the next flush
	f.store.failTouches.Store(false)
	require.Equal(t, http.StatusOK, get(h, "/whoami", other.Plaintext).Code)
	// Close waits for the failed flush to finish, then writes both keys.
	require.NoError(t, f.close())

	require.Equal(t, map[string]int64{"": 1}, mr.sums("serviceaccounts.lastused.flushes"))
	require.Equal(t, map[string]int64{"": 2}, mr.sums("serviceaccounts.lastused.keys"))
	require.Equal(t, map[string]int64{"": 1}, mr.sums("serviceaccounts.lastused.flush.failures"))
}

func TestMetricsReportTheFlushCountersAtZeroFromTheFirstCollection(t *testing.T) {
	// A fresh middleware, nothing flushed yet: the failure counter is there
	// at 0, so that an alert on its rate needs no "or vector(0)", and so
	// are the flushes and keys it is compared with.
	mr, configure := withMetrics(t)
	newFixture(t, configure)
	require.Equal(t, map[string]int64{"": 0}, mr.sums("serviceaccounts.lastused.flush.failures"))
	require.Equal(t, map[string]int64{"": 0}, mr.sums("serviceaccounts.lastused.flushes"))
	require.Equal(t, map[string]int64{"": 0}, mr.sums("serviceaccounts.lastused.keys"))
}

func TestMetricsNeverCarryAKeyAHashOrALabel(t *testing.T) {
	mr, configure := withMetrics(t)
	f := newFixture(t, configure)
	h := f.handler()
	for _, key := range []string{f.key, otherKey(t), malformed(f.key), ""} {
		get(h, "/studies/tekenradar/responses?surveyKey=s1", key)
		get(h, "/studies/tekenradar/responses?surveyKey=s9", key)
	}
	f.store.failLookups.Store(true)
	get(h, "/whoami", otherKey(t))
	f.store.failLookups.Store(false)
	collections := []metricdata.ResourceMetrics{mr.collect()}
	require.NoError(t, f.close()) // a flush
	collections = append(collections, mr.collect())

	hash := apikey.HashKey(f.key)
	secrets := []string{f.key, hex.EncodeToString(hash[:]), base64.StdEncoding.EncodeToString(hash[:]),
		base64.RawURLEncoding.EncodeToString(hash[:]), f.account.Label, f.account.ID.String(), f.keyID.String()}
	allowed := map[string]bool{"code": true, "result": true, "outcome": true}
	points := 0
	for _, rm := range collections {
		for _, sm := range rm.ScopeMetrics {
			require.Equal(t, "github.com/seed-c7fc2061/serviceaccounts/middleware", sm.Scope.Name)
			require.Equal(t, buildinfo.Version(), sm.Scope.Version, "the scope carries the module's version")
			require.NotEmpty(t, sm.Scope.Version)
			for _, m := range sm.Metrics {
				for _, attrs := range pointAttributes(m) {
					points++
					for _, kv := range attrs {
						require.True(t, allowed[string(kv.Key)], "%s has attribute %s", m.Name, kv.Key)
						for _, s := range secrets {
							require.NotContains(t, kv.Value.String(), s)
						}
					}
				}
			}
		}
	}
	require.Greater(t, points, 10)
}

func TestMetricsDefaultToTheGlobalProvider(t *testing.T) {
	// No MeterProvider: the global one, a no-op until the application sets
	// one. The middleware works the same.
	f := newFixture(t)
	require.Equal(t, http.StatusOK, get(f.handler(), "/whoami", f.key).Code)
}

func TestMetricsWithoutCacheCountNoCacheLookups(t *testing.T) {
	mr, configure := withMetrics(t)
	f := newFixture(t, configure, func(cfg *middleware.Config) { cfg.DisableCache = true })
	h := f.handler()
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	require.Equal(t, http.StatusOK, get(h, "/whoami", f.key).Code)
	require.Equal(t, map[string]int64{"code=ok": 2}, nonZero(mr.sums("serviceaccounts.authentications")))
	require.Empty(t, nonZero(mr.sums("serviceaccounts.cache.lookups")))
	require.Equal(t, float64(2), mr.histogram("serviceaccounts.store.lookup.duration")["outcome=found"][0])
}

func TestMetricsCountDisabledKeysAndAccounts(t *testing.T) {
	mr, configure := withMetrics(t)
	f := newFixture(t, configure)
	h := f.handler()
	ctx := context.Background()
	disabled := true
	_, err := f.mgr.PatchKey(ctx, f.account.ID, f.keyID, serviceaccount.KeyPatch{Disabled: &disabled})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", f.key).Code)

	other := f.createAccount("Other pipeline")
	key := f.createKey(other, nil)
	_, err = f.mgr.PatchAccount(ctx, other.ID, serviceaccount.AccountPatch{Disabled: &disabled})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, get(h, "/whoami", key.Plaintext).Code)

	require.Equal(t, map[string]int64{"code=disabled_key": 1, "code=disabled_account": 1},
		nonZero(mr.sums("serviceaccounts.authentications")))
}
