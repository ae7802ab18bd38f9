package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/seed-c7fc2061/serviceaccounts/internal/connstr"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/mysql"    // mysql:// URLs
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/postgres" // postgres:// URLs
	_ "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqlite"   // sqlite: URLs
)

// Output formats.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatPlain = "plain"
)

// Environment variables read for flags left unset.
const (
	envDB          = "SA_DB"
	envTablePrefix = "SA_TABLE_PREFIX"
	envTenant      = "SA_TENANT"
)

// app is one run of the tool: its flags, its output and the database it
// opened, if any.
type app struct {
	getenv         func(string) string
	term           terminal
	stdout, stderr io.Writer

	db          string
	tablePrefix string
	// tenant is --tenant (or SA_TENANT): every command acts in it.
	tenant  string
	output  string
	timeout time.Duration
	// The key policy the application runs with; set by the keys commands'
	// flags, the library's defaults otherwise.
	maxKeys        int
	maxKeyLifetime time.Duration
	// catalogPath is --catalog; catalog is what permissionCatalog read.
	catalogPath string
	catalog     *permission.Catalog

	pool *bun.DB

	// server is --server (or SA_SERVER): the root of a running server
	// whose admin API the commands call instead of opening a database.
	server     string
	tokenStdin bool
	// tokenFromEnvOnly keeps shell completion from reading standard input.
	tokenFromEnvOnly bool
	// token is the admin token once read, masked in every message.
	token  string
	client *remote
}

// run is main without the process: the tests build the binary and run it,
// but everything it does starts here.
func run(ctx context.Context, args []string, getenv func(string) string, term terminal, stdout, stderr io.Writer) int {
	a := &app{getenv: getenv, term: term, stdout: stdout, stderr: stderr}
	defer a.close()
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var f *failure
	if errors.As(err, &f) {
		fmt.Fprintln(stderr, "serviceaccounts: "+a.oneLine(hideKeyLike(f.Error(), args)))
		return 1
	}
	// Everything else comes from reading the command line.
	fmt.Fprintln(stderr, "serviceaccounts: "+a.oneLine(hideKeyLike(err.Error(), args)))
	if cmd != nil {
		fmt.Fprint(stderr, "\n"+cmd.UsageString())
	}
	return 2
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "serviceaccounts",
		Short: "Manage service accounts, API keys and permissions in their database or through a server",
		Long: `Manage service accounts, their API keys and their permissions directly in
the database, or through a running server's admin API: bootstrap a
deployment, rotate or revoke keys from a pipeline. Every change goes through
the library's Manager, so the same validation, key policy and audit log apply
as in the management API; changes made on the database are audited as the
actor cli:USER.

The database is named by --db or SA_DB:
  sqlite:PATH                                     a file, created by migrate only
  postgres://user:pass@host:port/db?sslmode=…     (or postgresql://)
  mysql://user:pass@host:port/db                  MySQL or MariaDB
Prefer SA_DB for a URL with a password: other users of the machine can see
command lines. Messages never show the password.

Or a running server is named by --server or SA_SERVER, its root URL (the
admin API is under /admin), with the admin token in SA_ADMIN_TOKEN or on the
first line of standard input (--token-stdin); never on the command line. The
commands and their output are the same; migrate needs --db.

Exit status: 0 success, 1 failure (one line on standard error), 2 usage.`,
		Example: `  export SA_DB=sqlite:serviceaccounts.db
  serviceaccounts migrate
  ACCOUNT=$(serviceaccounts accounts create --label "CI deploy" -o plain)
  serviceaccounts permissions grant "$ACCOUNT" --type study --key tekenradar --action get-responses
  KEY=$(serviceaccounts keys create "$ACCOUNT" -o plain)

  export SA_SERVER=https://sa.example.com SA_ADMIN_TOKEN="$(cat /run/secrets/sa-admin-token)"
  serviceaccounts keys hygiene --expires-within-days 30`,
		Args:          groupArgs,
		RunE:          groupRun,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Checked here, before any command opens the database, so that a
		// bad flag value is a usage error (exit 2).
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := a.complete(); err != nil {
				return err
			}
			return a.checkServerFlags(cmd)
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return err })
	// --version: cobra prints it before checking anything else, so it
	// needs no database and exits 0.
	root.Version = versionLine(debug.ReadBuildInfo())
	root.SetVersionTemplate("{{.Version}}\n")
	root.CompletionOptions.HiddenDefaultCmd = false

	f := root.PersistentFlags()
	f.StringVar(&a.db, "db", "", "database URL: sqlite:PATH, postgres://…, mysql://user:pass@host:port/db (default $"+envDB+")")
	f.StringVar(&a.server, "server", "", "root URL of a running server whose admin API (under /admin) to call instead of a database, such as https://sa.example.com; the token comes from $"+envAdminToken+" or standard input (default $"+envServer+")")
	f.BoolVar(&a.tokenStdin, "token-stdin", false, "with --server, read the admin token from the first line of standard input (the default when $"+envAdminToken+" is unset and standard input is not a terminal)")
	f.StringVar(&a.tablePrefix, "table-prefix", "", "prefix of the store's tables, as given to sqlstore.WithTablePrefix (default $"+envTablePrefix+")")
	f.StringVar(&a.tenant, "tenant", "", "the tenant every command acts in: 1 to 63 characters of a-z, 0-9 and '-' (default $"+envTenant+", or \""+store.DefaultTenant+"\")")
	f.StringVarP(&a.output, "output", "o", formatTable, "output format: table, json (the management API's JSON) or plain (ids, or a new key alone)")
	f.DurationVar(&a.timeout, "timeout", time.Minute, "give up on the database, or the server, after this long")
	f.StringVar(&a.catalogPath, "catalog", "", "JSON permission catalog of the application, as \"catalog -o json\" prints, instead of the library's default (default $"+envCatalog+")")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(
		[]string{formatTable + "\taligned columns", formatJSON + "\tthe management API's JSON", formatPlain + "\tids, or a new key alone"},
		cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		a.migrateCommand(),
		a.accountsCommand(),
		a.keysCommand(),
		a.permissionsCommand(),
		a.auditCommand(),
		a.catalogCommand(),
		a.tenantsCommand(),
		a.policyCommand(),
	)
	return root
}

// complete fills flags from the environment and checks them.
func (a *app) complete() error {
	switch dbFlag, serverFlag := a.db != "", a.server != ""; {
	case dbFlag && serverFlag:
		return usagef("--db and --server both name what to work on: give one (--server calls a running server's admin API, --db opens its database)")
	case !dbFlag && !serverFlag:
		a.db, a.server = a.getenv(envDB), a.getenv(envServer)
		if a.db != "" && a.server != "" {
			return usagef("%s and %s are both set: unset one, or choose with --db or --server", envDB, envServer)
		}
	}
	if a.tablePrefix == "" {
		a.tablePrefix = a.getenv(envTablePrefix)
	}
	if a.tenant == "" {
		a.tenant = cmp.Or(a.getenv(envTenant), store.DefaultTenant)
	}
	// Checked before the database is opened: a malformed tenant writes
	// nothing anywhere.
	if err := store.CheckTenant(a.tenant); err != nil {
		return fmt.Errorf("invalid --tenant (or %s): %w", envTenant, err)
	}
	switch a.output {
	case formatTable, formatJSON, formatPlain:
	default:
		return fmt.Errorf("invalid --output %q: want table, json or plain", a.output)
	}
	if a.timeout <= 0 {
		return fmt.Errorf("invalid --timeout %s: must be positive", a.timeout)
	}
	return nil
}

// databaseOnlyFlags configure the database or the Manager this tool
// would build; with --server the server's own configuration applies, so
// they would be silently ignored.
var databaseOnlyFlags = []string{"table-prefix", "catalog", "max-keys", "max-key-lifetime"}

// checkServerFlags refuses, with --server, the flags that only a database
// mode can honour, and --token-stdin without --server.
func (a *app) checkServerFlags(cmd *cobra.Command) error {
	if a.server == "" {
		if a.tokenStdin {
			return usagef("--token-stdin reads the admin token for --server, which is not given")
		}
		return nil
	}
	for _, name := range databaseOnlyFlags {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			return usagef("--%s applies to --db only: with --server, the server's own configuration applies", name)
		}
	}
	return nil
}

// open opens and pings the database once per run. Only migrate passes
// create: every other command, the reading ones first, needs a migrated
// database, so a mistyped SQLite path must not leave an empty file behind.
func (a *app) open(ctx context.Context, create bool) (*bun.DB, error) {
	if a.pool != nil {
		return a.pool, nil
	}
	switch {
	case a.db == "":
		return nil, usagef("no database: pass --db URL or set %s (for example sqlite:serviceaccounts.db)", envDB)
	case strings.EqualFold(a.db, "memory:") || strings.EqualFold(a.db, "sqlite::memory:"):
		return nil, usagef("--db %s keeps nothing between commands: use sqlite:PATH, postgres://… or mysql://…", a.db)
	}
	openDB := sqlstore.OpenExistingDB
	if create {
		openDB = sqlstore.OpenDB
	}
	pool, err := openDB(ctx, a.db)
	if errors.Is(err, sqlstore.ErrNoDatabaseFile) {
		return nil, failf("%v (check --db or %s; \"serviceaccounts migrate\" creates a database)", err, envDB)
	}
	if err != nil {
		return nil, failf("%v (check --db or %s)", err, envDB)
	}
	a.pool = pool
	return pool, nil
}

func (a *app) storeOptions() []sqlstore.Option {
	return []sqlstore.Option{sqlstore.WithTablePrefix(a.tablePrefix)}
}

// manager opens the database, checks that its schema is up to date and
// returns a Manager on it, the view of --tenant.
func (a *app) manager(ctx context.Context) (*serviceaccount.Manager, error) {
	policy, err := a.policy()
	if err != nil {
		return nil, err
	}
	catalog, err := a.permissionCatalog()
	if err != nil {
		return nil, err
	}
	pool, err := a.open(ctx, false)
	if err != nil {
		return nil, err
	}
	pending, err := sqlstore.PendingMigrations(ctx, pool, a.storeOptions()...)
	if err != nil {
		return nil, failf("%v", err)
	}
	if len(pending) > 0 {
		return nil, failf("the database %s needs %d migration(s) (%s): run \"serviceaccounts migrate\" with the same --db first",
			sqlstore.RedactURL(a.db), len(pending), strings.Join(pending, ", "))
	}
	st, err := sqlstore.New(pool, a.storeOptions()...)
	if err != nil {
		return nil, failf("%v", err)
	}
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st, Policy: policy, Catalog: catalog})
	if err != nil {
		return nil, failf("%v", err)
	}
	if mgr, err = mgr.Tenant(a.tenant); err != nil {
		return nil, failf("%v", err)
	}
	return mgr, nil
}

// policy is the Policy of --max-keys and --max-key-lifetime, read as the
// example server reads its flags of the same names (0 keys: no limit).
func (a *app) policy() (serviceaccount.Policy, error) {
	if a.maxKeys < 0 {
		return serviceaccount.Policy{}, usagef("invalid --max-keys %d: must be 0 (no limit) or positive", a.maxKeys)
	}
	p := serviceaccount.Policy{MaxKeysPerAccount: a.maxKeys, MaxKeyLifetime: a.maxKeyLifetime}
	if a.maxKeys == 0 {
		p.MaxKeysPerAccount = serviceaccount.NoKeyLimit
	}
	if err := serviceaccount.CheckPolicy(p); err != nil {
		var verr *serviceaccount.ValidationError
		if errors.As(err, &verr) && len(verr.Fields) > 0 {
			return p, usagef("invalid --max-key-lifetime %s: %s", a.maxKeyLifetime, verr.Fields[0].Message)
		}
		return p, usagef("invalid key policy: %v", err)
	}
	return p, nil
}

func (a *app) close() {
	if a.pool != nil {
		_ = a.pool.Close()
	}
}

// maxMessage bounds an error line: a driver may quote a whole statement.
const maxMessage = 1000

// oneLine makes msg one bounded line, with any password of --db masked in
// case a driver's message quotes it (OpenDB's own messages never do),
// whatever form --db takes.
func (a *app) oneLine(msg string) string {
	msg = connstr.Hide(msg, a.db)
	msg = connstr.Hide(msg, a.server)
	if a.token != "" {
		msg = strings.ReplaceAll(msg, a.token, "[redacted]")
	}
	msg = strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }), " ")
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && msg[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// action adapts a command's work to cobra: it gives the work a context
// bounded by --timeout that names the tool's actor for the audit log, and
// marks its errors as failures (exit 1) rather
// than usage errors, unless the work itself says the command line is
// wrong.
func (a *app) action(fn func(ctx context.Context, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx, cancel := a.workContext(cmd)
		defer cancel()
		err := fn(ctx, cmd, args)
		if err == nil {
			return nil
		}
		var u *usageError
		var f *failure
		if errors.As(err, &u) || errors.As(err, &f) {
			return err
		}
		return &failure{err: describe(err, a.peer(), a.timeout)}
	}
}

// peer names what the commands work on, for messages.
func (a *app) peer() string {
	if a.server != "" {
		return "server"
	}
	return "database"
}

// workContext bounds database work by --timeout and names the tool's
// actor for the audit log. A delete confirmed at a prompt takes a new one
// after the answer: --timeout bounds the database, not the person.
func (a *app) workContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(cmd.Context(), a.timeout)
	return serviceaccount.WithActor(ctx, cliActor()), cancel
}
