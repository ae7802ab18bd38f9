package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelruntime "go.opentelemetry.io/contrib/instrumentation/runtime"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/seed-c7fc2061/serviceaccounts/internal/buildinfo"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

// readyTimeout bounds the store ping of /readyz.
const readyTimeout = time.Second

// defaultServiceName is the service.name of the metrics unless
// -service-name says otherwise.
const defaultServiceName = "serviceaccounts-example"

// newMetrics builds the OpenTelemetry SDK provider whose metrics /metrics
// serves in the Prometheus text format, with what an operator expects of
// any Go service besides the library's own series: the Go runtime's
// metrics (OpenTelemetry's contrib runtime instrumentation: go_memory_*,
// go_goroutine_count, …), the process's (Prometheus's process collector:
// process_cpu_seconds_total, process_resident_memory_bytes, …; the
// OpenTelemetry Go project keeps no process instrumentation), and a
// resource naming the service (target_info{service_name=…,
// service_version=…}). These dependencies are the example server's only:
// the library's packages use the metric API alone.
//
// The registry is the server's own, not Prometheus's global one, so that
// nothing else registers into it.
func newMetrics(serviceName string) (*sdkmetric.MeterProvider, http.Handler, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, nil, fmt.Errorf("metrics: process collector: %w", err)
	}
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: %w", err)
	}
	res, err := serviceResource(serviceName)
	if err != nil {
		return nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithResource(res))
	if err := otelruntime.Start(otelruntime.WithMeterProvider(mp)); err != nil {
		_ = mp.Shutdown(context.Background())
		return nil, nil, fmt.Errorf("metrics: Go runtime instrumentation: %w", err)
	}
	return mp, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

// serviceResource describes the process: the SDK's defaults (its own name
// and version, and OTEL_RESOURCE_ATTRIBUTES), then service.name and
// service.version (the module's, from the build information), which win
// over the environment's so that -service-name is what it says.
func serviceResource(serviceName string) (*resource.Resource, error) {
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(serviceName),
		semconv.ServiceVersion(buildinfo.Version())))
	if err != nil {
		return nil, fmt.Errorf("metrics: resource: %w", err)
	}
	return res, nil
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
