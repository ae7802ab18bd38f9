// Command server is the example application: the management API under
// /admin behind an admin token, the admin page at /admin/ui/ behind a
// login with the same token, and demonstration routes of a research
// platform protected by service-account keys.
//
//	go run ./examples/server
//
// starts it on 127.0.0.1:8080 with an SQLite file, serviceaccounts.db, and
// prints a freshly generated admin token. See the README for a walkthrough
// with curl. Flags:
//
//	-addr            listen address (default 127.0.0.1:8080)
//	-db              memory:, sqlite:PATH, postgres://…, mysql://user:pass@host:port/db
//	-admin-token     bearer token for /admin (default: $ADMIN_TOKEN, else generated)
//	-flush-interval  how often last-used times are written (default 1m)
//	-cache-ttl       how long a key lookup is reused (default 10s)
//	-audit-retention how long audit events are kept, pruned hourly (default 0: forever)
//	-access-log      log one line per request (default true; -access-log=false turns it off)
//	-trusted-proxies CIDR,… of the reverse proxies in front; from them the client
//	                 address is read from X-Forwarded-For, from the right
//	-unknown-key-limit  store lookups of unknown keys per client address and
//	                 minute (default 0: no bound); beyond it 429 with Retry-After
//	-secret-scanning-keys FILE  public keys (GitHub's public_keys JSON) that sign
//	                 leak reports; with it, POST /secret-scanning disables each
//	                 reported key (see the README's "Leaked keys")
//	-secret-scanning-keys-url URL  fetch those keys from URL, cached for an hour
//	                 (such as https://api.github.com/meta/public_keys/secret_scanning)
//	-redis           redis://… URL that shares the keys' rate limits between
//	                 instances (default: each instance limits on its own)
//
// The admin API and the page's login each refuse a client address for the
// rest of the minute once it has sent 10 wrong admin tokens within one
// (429 with Retry-After, the right token included). Behind a reverse
// proxy, set -trusted-proxies, or every client is the proxy.
//
// Operations endpoints, without authentication (they hold counts, never a
// key or a label):
//
//	GET /metrics  the middleware's OpenTelemetry metrics in the Prometheus text format
//	GET /healthz  200 while the process serves
//	GET /readyz   200 when the store answers a ping within 1 s, else 503 (problem+json)
//
// The access log never holds a request up: a request queues a record, and
// one goroutine formats the lines and writes them in batches, at least
// every second and at shutdown. When the queue is full, lines are dropped
// and counted (serviceaccounts.example.accesslog.dropped).
//
// Every connection is bounded, so that slow or idle clients cannot exhaust
// the file descriptors:
//
//	-read-header-timeout  sending the request line and headers (default 10s)
//	-read-timeout         sending the whole request, body included (default 30s:
//	                      a 1 MiB body, the largest accepted, at 35 KiB/s)
//	-write-timeout        from the end of the headers to the end of the response (default 30s)
//	-idle-timeout         an idle keep-alive connection (default 60s)
//	-shutdown-timeout     how long shutdown waits for requests in flight (default 15s)
//
// Request lines and headers are capped at 64 KiB (MaxHeaderBytes), bodies
// at 1 MiB. The access log cuts each logged field at 256 bytes.
//
// SIGINT or SIGTERM shuts it down gracefully: in-flight requests finish;
// the connections still open after -shutdown-timeout (a stalled client)
// are closed; then the last-used times recorded so far are written, with a
// context of their own, before it exits with status 0.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/seed-c7fc2061/serviceaccounts/internal/connstr"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "server:", err)
		}
		os.Exit(exitCode(err))
	}
}

// errUsage marks a bad command line; the flag package has already said why.
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// run is main without the process: tests call it with their own context,
// arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	applyGCTarget(cfg.gcPercent, getenv)
	// Whatever a driver or a dependency says, the -db password stays out
	// of the message main prints.
	return connstr.HideError(serve(ctx, cfg, stdout, stderr), cfg.db)
}
