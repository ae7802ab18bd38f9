// Command bareprogram serves bench/load's reference route in a program of
// the example server's size: bench/load builds and starts it with the
// address to listen on as its argument.
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
	"github.com/seed-c7fc2061/serviceaccounts/bench/internal/bareroute"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore" // linked by the example server: its package state is live heap
)

// main serves the bare route (package bareroute) in a program of the
// example server's size: it links the same packages and builds and keeps
// what the example server holds in memory for its life (a Manager on a
// memory store, a middleware with its cache, the admin page, an
// OpenTelemetry SDK provider with the Prometheus exporter), but serves the
// route without any of them. It copies the example server's memory, not
// its background work: no change feed, no access log writer.
//
// Go's collector marks the live heap on every cycle and starts a cycle
// when the heap has grown by as much as the live heap (4 MB at least), so
// the example server's 1 to 2 MB of package state (validator's and bun's
// tables, the admin page's templates, the exporter) make each cycle dearer
// and more frequent per request than in a bare program's half a megabyte,
// whatever the request path does. Against this control, the difference is
// the request path alone.
func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bareprogram host:port")
		os.Exit(2)
	}
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
	page, err := adminui.New(mgr, adminui.Config{Prefix: "/admin/ui"})
	if err != nil {
		fatal(err)
	}
	bareroute.Serve(os.Args[1])
	runtime.KeepAlive(page)
	runtime.KeepAlive(mw)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bareprogram:", err)
	os.Exit(1)
}
