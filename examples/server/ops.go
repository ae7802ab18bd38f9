package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/seed-c7fc2061/serviceaccounts/internal/buildinfo"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

// readyTimeout bounds the store ping of /readyz.
const readyTimeout = time.Second

// newMetrics builds the OpenTelemetry SDK provider whose metrics /metrics
// serves in the Prometheus text format. The registry is the server's own,
// not Prometheus's global one, so that nothing else registers into it.
func newMetrics() (*sdkmetric.MeterProvider, http.Handler, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	return mp, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

// countDrops reports the access log's dropped lines as a metric.
func countDrops(mp metric.MeterProvider, l *accessLog) error {
	meter := mp.Meter("github.com/seed-c7fc2061/serviceaccounts/examples/server",
		metric.WithInstrumentationVersion(buildinfo.Version()))
	_, err := meter.Int64ObservableCounter(
		"serviceaccounts.example.accesslog.dropped",
		metric.WithDescription("Access log lines dropped because the writer's queue was full"),
		metric.WithUnit("{line}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(l.dropped.Load())
			return nil
		}))
	return err
}

// operations are the endpoints for operators, without authentication
// (they hold counts, never a key or a label), and the meter provider the
// middleware records into. A zero field leaves its endpoint out (nil
// meterProvider: the global provider), for tests that need none.
type operations struct {
	metrics       http.Handler                // the Prometheus exposition
	ping          func(context.Context) error // whether the store answers
	meterProvider metric.MeterProvider
}

func (ops operations) register(mux *http.ServeMux, log *slog.Logger) {
	if ops.metrics != nil {
		mux.Handle("GET /metrics", ops.metrics)
	}
	mux.HandleFunc("GET /healthz", healthz)
	if ops.ping != nil {
		mux.Handle("GET /readyz", readyz(ops.ping, log))
	}
}

// healthz answers 200 while the process serves: a liveness probe.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 when the store answers a ping within readyTimeout,
// else 503 with a problem+json body: a readiness probe, so that a load
// balancer stops sending requests that could only fail with 503.
func readyz(ping func(context.Context) error, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Cache-Control", "no-store")
		if err := ping(ctx); err != nil {
			// The error is for the operator (it may name the database
			// host); the response says only what failed.
			log.Warn("readyz: the store did not answer a ping", "timeout", readyTimeout, "err", err)
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			// The same shape and code as the middleware's 503, so that one
			// client parses every problem of the server.
			_ = json.NewEncoder(w).Encode(middleware.Problem{
				Type:   middleware.ProblemTypePrefix + "unavailable",
				Title:  http.StatusText(http.StatusServiceUnavailable),
				Status: http.StatusServiceUnavailable,
				Detail: fmt.Sprintf("the store did not answer a ping within %s", readyTimeout),
				Code:   "unavailable",
			})
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ready\n"))
	}
}
