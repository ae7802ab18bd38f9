// Command server is the example application: the management API under
// /admin behind an admin token, and demonstration routes of a research
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
//
// SIGINT or SIGTERM shuts it down gracefully: in-flight requests finish and
// the last-used times recorded so far are written before it exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
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
	return serve(ctx, cfg, stdout, stderr)
}
