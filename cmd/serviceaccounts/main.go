// Command serviceaccounts manages service accounts, their API keys and
// their permissions, directly in the database or through a running
// server's admin API: for bootstrapping a deployment (migrate the schema,
// create the first account and key) and for automation (rotate a key on a
// schedule, revoke one in an emergency).
//
//	go install github.com/seed-c7fc2061/serviceaccounts/cmd/serviceaccounts@latest
//
//	export SA_DB=sqlite:serviceaccounts.db
//	serviceaccounts migrate
//	ACCOUNT=$(serviceaccounts accounts create --label "CI deploy" -o plain)
//	serviceaccounts permissions grant "$ACCOUNT" --type study --key tekenradar --action get-responses
//	KEY=$(serviceaccounts keys create "$ACCOUNT" -o plain)
//
// Every change goes through serviceaccount.Manager, as the management API's
// do, so the same validation, key policy and audit log apply; the audit log
// records the actor "cli:" and the operating-system user, with the host
// name as its address (who can reach the database could write anything, so
// this says who ran the tool, it proves nothing). The database is named by --db or
// SA_DB, with the URLs of sqlstore.OpenDB (sqlite:PATH, postgres://…,
// mysql://user:pass@host:port/db); --table-prefix (or SA_TABLE_PREFIX)
// selects tables created with sqlstore.WithTablePrefix.
//
// # Through a server
//
// --server URL (or SA_SERVER) calls the admin API of a running server,
// under URL/admin, instead of opening a database: for operators who should
// not hold the database's credentials. The admin token comes from
// SA_ADMIN_TOKEN, or from the first line of standard input when that is
// unset and standard input is not a terminal (or with --token-stdin);
// never from a flag, which the process list shows. The commands reach
// both through one interface (backend), which the Manager implements as
// it is and the admin client through conversions to the Manager's types
// and errors, so every command and its output (one printing code) is the
// same in both modes. The server's configuration applies there: its key
// policy, its catalog and its audit actor; migrate and the flags that
// configure a database or a Manager are refused.
//
// # Output
//
// Tables for people by default; -o json prints what the management API
// would answer (internal/apijson's representations), one document per
// command; -o plain prints only ids, one a line, or, for a new key, the
// key alone, so that KEY=$(serviceaccounts keys create … -o plain) works.
// The plaintext of a key is printed once, on standard output, and never on
// standard error.
//
// # Deletes
//
// accounts delete, keys delete and permissions revoke ask on a terminal,
// naming what goes, and need --yes when standard input is not one: a
// script that forgot it must not delete anything.
//
// # Permission catalog
//
// --catalog FILE (or SA_CATALOG) gives the application's own catalog, in
// the JSON form "serviceaccounts catalog -o json" prints, instead of
// permission.DefaultCatalog.
//
// # Exit status
//
// 0 on success; 1 when the command failed (invalid input, something not
// found, a database or server that cannot be reached, a token the server
// refuses, a delete not confirmed at the prompt), with one line on
// standard error saying what to do; 2 for a command line that is not
// understood (an unknown command or flag, a missing argument, a delete
// without --yes off a terminal, --server without a token), with the
// usage. --version prints the version and exits 0.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stdin := terminal{in: os.Stdin, interactive: func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }}
	code := run(ctx, os.Args[1:], os.Getenv, stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
