package main

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore" // linked by the example server: its package state is live heap
)

// serveBareInProgram is serveBare in a program of the example server's
// size: it links the same packages and builds and keeps what the example
// server keeps for its life (a Manager on a memory store, a middleware
// with its cache, the admin page, an OpenTelemetry SDK provider with the
// Prometheus exporter), but serves the route without any of them.
//
// Go's collector marks the live heap on every cycle and starts a cycle
// when the heap has grown by as much as the live heap (4 MB at least), so
// the example server's 1 to 2 MB of package state (validator's and bun's
// tables, the admin page's templates, the exporter) make each cycle dearer
// and more frequent per request than in the 0.3 MB of a bare program,
// whatever the request path does. Against this control, the difference is
// the request path alone.
func serveBareInProgram(addr string) {
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), Clock: clockwork.NewRealClock()})
	if err != nil {
		fatal(err)
	}
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	mw, err := middleware.New(middleware.Config{Manager: mgr, MeterProvider: mp})
	if err != nil {
		fatal(err)
	}
	defer mw.Close(context.Background())
	page := adminui.New(mgr, adminui.Options{Prefix: "/admin/ui"})
	serveBare(addr)
	runtime.KeepAlive(page)
	runtime.KeepAlive(mw)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bare server in the example's program:", err)
	os.Exit(1)
}
