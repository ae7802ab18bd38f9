package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// failure is a command that ran and failed: exit status 1, its message on
// one line.
type failure struct{ err error }

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

func failf(format string, args ...any) error {
	return &failure{err: fmt.Errorf(format, args...)}
}

// usageError is a command line that cannot be run as written: exit status
// 2, with the usage. Errors from cobra's parsing are usage errors too.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// describe turns an error of the Manager into a message that says what
// happened and what to do. Commands give not-found errors their own
// message (see notFound) before they get here.
func describe(err error, peer string, timeout time.Duration) error {
	var verr *serviceaccount.ValidationError
	var conflict *serviceaccount.ConflictError
	switch {
	case errors.As(err, &verr):
		return invalidInput(verr.Fields)
	case errors.As(err, &conflict):
		return fmt.Errorf("refused, nothing was written: %s", conflict.Reason)
	case errors.Is(err, store.ErrNotFound):
		return errors.New("not found")
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("%v: the %s changed under this command; run it again", err, peer)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%v: the %s did not answer within --timeout %s; check that it is reachable, or raise --timeout", err, peer, timeout)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted: %v", err)
	}
	return err
}

// invalidInput lists the Manager's field errors under the names of the
// flags that set them, and says that nothing was written (the Manager
// validates before it writes).
func invalidInput(fields []serviceaccount.FieldError) error {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = flagName(f.Field) + " " + f.Message
	}
	return fmt.Errorf("invalid input, nothing was written: %s", strings.Join(parts, "; "))
}

// fieldFlags maps the Manager's field names (the API's JSON names) to the
// flags that set them.
var fieldFlags = map[string]string{
	"label":              "--label",
	"description":        "--description",
	"name":               "--name",
	"expiresAt":          "--expires-at",
	"expiresIn":          "--expires-in", // the CLI's own
	"gracePeriodSeconds": "--grace",
	"resourceType":       "--type",
	"resourceKey":        "--key",
	"action":             "--action",
	"limiter":            "--limiter",
	"limit":              "--limit",
	"serviceAccountId":   "--account",
	"actorId":            "--actor",
	"since":              "--since",
	"until":              "--until",
	"cursor":             "--cursor",
	"expiresWithinDays":  "--expires-within-days",
	"unusedForDays":      "--unused-for-days",
	"scopes":             "--scope",
	"allowedCidrs":       "--allow-cidr",
	"rateLimit":          "--rate-limit",
	"metadata":           "--metadata",
}

// flagName names field as a flag; a limiter's inner path is kept:
// limiter[0].surveyKey becomes --limiter [0].surveyKey.
func flagName(field string) string {
	head, rest := field, ""
	if i := strings.IndexAny(field, "[."); i > 0 {
		head, rest = field[:i], field[i:]
	}
	flag, ok := fieldFlags[head]
	if !ok {
		return field + ":"
	}
	if rest != "" {
		return flag + " " + rest + ":"
	}
	return flag + ":"
}

// notFound gives a not-found error of the Manager the message msg; other
// errors pass unchanged.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return failf(format, args...)
	}
	return err
}

func accountNotFound(err error, id uuid.UUID) error {
	return notFound(err, "no service account %s: list them with \"serviceaccounts accounts list\"", id)
}

// accountRecord is a kind of record that belongs to a service account (an
// API key, a permission), named on the command line by ACCOUNT_ID and its
// own id, and listed by "serviceaccounts GROUP list ACCOUNT_ID".
type accountRecord struct {
	arg      string // the argument naming it, such as KEY_ID
	what     string // what it is called, such as API key
	group    string // its command group, such as keys
	complete idKind // how the shell completes its id
}

var (
	keyRecord        = accountRecord{arg: "KEY_ID", what: "API key", group: "keys", complete: completeKey}
	permissionRecord = accountRecord{arg: "PERMISSION_ID", what: "permission", group: "permissions", complete: completePermission}
)

// args reads ACCOUNT_ID and the record's id.
func (r accountRecord) args(args []string) (accountID, id uuid.UUID, err error) {
	if accountID, err = parseID("ACCOUNT_ID", args[0], "service account"); err != nil {
		return
	}
	id, err = parseID(r.arg, args[1], r.what)
	return
}

// openRecord reads ACCOUNT_ID and the record's id, then opens the
// Manager: a malformed id is reported without touching the database.
func (a *app) openRecord(ctx context.Context, r accountRecord, args []string) (mgr backend, accountID, id uuid.UUID, err error) {
	if accountID, id, err = r.args(args); err != nil {
		return nil, uuid.Nil, uuid.Nil, err
	}
	if mgr, err = a.backend(ctx); err != nil {
		return nil, uuid.Nil, uuid.Nil, err
	}
	return mgr, accountID, id, nil
}

// notFound says which of the two ids may be unknown and how to list the
// account's records.
func (r accountRecord) notFound(err error, accountID, id uuid.UUID) error {
	return notFound(err, "service account %s does not exist or has no %s %s: list its %s with \"serviceaccounts %s list %s\"", accountID, r.what, id, r.group, r.group, accountID)
}

// parseID reads a positional id. Anything that is not a UUID cannot name
// a record, so it is reported like an unknown id, with the form ids take.
func parseID(name, s, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		// Longer than an id, it may be a key pasted in the wrong place:
		// never echo it.
		shown := fmt.Sprintf(" %q", s)
		if len(s) > 36 {
			shown = " " + notShown
		}
		return uuid.Nil, failf("%s%s is not an id: %s ids are UUIDs such as 01a213e4-f068-755e-ae87-caee3d2d0993", name, shown, what)
	}
	return id, nil
}

// notShown stands for an argument left out of a message: it may be a key.
const notShown = "(not shown: it is longer than an id, and may be a key)"

// hideKeyLike replaces in msg every command-line argument, or flag name
// or value within one, that could be a key or most of one: longer than an
// id and made only of a key's characters. Cobra's messages quote the
// command, flag or value they refuse, as does args; a key pasted in the
// wrong place must not reach standard error, which logs keep.
func hideKeyLike(msg string, cmdline []string) string {
	var parts []string
	for _, arg := range cmdline {
		for _, p := range strings.Split(strings.TrimLeft(arg, "-"), "=") {
			if len(p) > 36 && strings.Trim(p, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_") == "" {
				parts = append(parts, p)
			}
		}
	}
	// Longest first: a truncated paste may be part of a whole one.
	slices.SortFunc(parts, func(a, b string) int { return len(b) - len(a) })
	for _, p := range parts {
		msg = strings.ReplaceAll(msg, p, notShown)
	}
	return msg
}

// args requires exactly the named positional arguments.
func args(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usagef("%s needs %s (missing %s)", cmd.CommandPath(), strings.Join(names, " "), strings.Join(names[len(args):], " "))
		case len(args) > len(names):
			return usagef("%s takes %s, not %q", cmd.CommandPath(), describeArgs(names), args[len(names)])
		}
		return nil
	}
}

func describeArgs(names []string) string {
	if len(names) == 0 {
		return "no arguments"
	}
	return strings.Join(names, " ")
}

// groupArgs and groupRun make a command that only groups others (accounts,
// keys…) refuse an unknown subcommand or a missing one as a usage error,
// where cobra would print the help and exit 0.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2 // cobra's default for the root
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %q?)", s[0])
		}
		return usagef("%s", msg)
	}
	return nil
}

func groupRun(cmd *cobra.Command, args []string) error {
	return usagef("%s needs a command", cmd.CommandPath())
}

// groupCommand makes cmd a group of subs (accounts, keys…) that refuses
// an unknown or missing subcommand.
func groupCommand(cmd *cobra.Command, subs ...*cobra.Command) *cobra.Command {
	cmd.Args = groupArgs
	cmd.RunE = groupRun
	cmd.AddCommand(subs...)
	return cmd
}

// checkLimit refuses a page size the API would refuse; the Manager would
// take 0 for its default.
func checkLimit(limit int) error {
	if limit < 1 || limit > serviceaccount.MaxPageSize {
		return invalidInput([]serviceaccount.FieldError{{Field: "limit", Message: fmt.Sprintf("must be from 1 to %d", serviceaccount.MaxPageSize)}})
	}
	return nil
}
