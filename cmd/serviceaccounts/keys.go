package main

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func (a *app) keysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "keys",
		Aliases: []string{"key"},
		Short:   "List, create, rotate, disable and delete API keys",
		Long: `List, create, rotate, disable and delete the API keys of a service account.
A new key's plaintext is printed once, when it is created; only its SHA-256
hash is stored, and lists show a hint (sa_AbCd…wxyz).`,
		Example: `  KEY=$(serviceaccounts keys create "$ACCOUNT" -o plain)
  serviceaccounts keys list "$ACCOUNT"
  serviceaccounts keys delete "$ACCOUNT" "$KEY_ID"`,
		Args: groupArgs,
		RunE: groupRun,
	}
	cmd.AddCommand(
		a.keysListCommand(),
		a.keysCreateCommand(),
		a.keysRotateCommand(),
		a.keysDisableCommand(),
		a.keysEnableCommand(),
		a.keysDeleteCommand(),
	)
	return cmd
}

func keyNotFound(err error, accountID, keyID uuid.UUID) error {
	return notFound(err, "service account %s does not exist or has no API key %s: list its keys with \"serviceaccounts keys list %s\"", accountID, keyID, accountID)
}

func (a *app) keysListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list ACCOUNT_ID",
		Short: "List the API keys of a service account (never the keys themselves)",
		Example: `  serviceaccounts keys list "$ACCOUNT"
  serviceaccounts keys list "$ACCOUNT" -o json`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			id, err := parseID("ACCOUNT_ID", args[0], "service account")
			if err != nil {
				return err
			}
			mgr, err := a.manager(ctx)
			if err != nil {
				return err
			}
			// An unknown account has no keys; say it does not exist instead.
			if _, err := mgr.Account(ctx, id); err != nil {
				return accountNotFound(err, id)
			}
			keys, err := mgr.Keys(ctx, id)
			if err != nil {
				return err
			}
			switch a.output {
			case formatJSON:
				return a.printJSON(admin.KeyListJSON(keys))
			case formatPlain:
				for _, k := range keys {
					if err := a.printLines(k.ID.String()); err != nil {
						return err
					}
				}
				return nil
			}
			t := a.newTable("ID", "HINT", "CREATED", "LAST USED", "EXPIRES")
			for _, k := range keys {
				t.row(k.ID.String(), k.Hint, timeCell(k.CreatedAt), optionalTimeCell(k.LastUsedAt, "never"), optionalTimeCell(k.ExpiresAt, "never"))
			}
			return t.flush()
		}),
	}
}

// expiryFlags are --expires-at and --expires-in, one or neither.
type expiryFlags struct {
	at string
	in time.Duration
}

func (e *expiryFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&e.at, "expires-at", "", "when the key stops working, RFC 3339 (2027-01-31T00:00:00Z); default never")
	cmd.Flags().DurationVar(&e.in, "expires-in", 0, "when the key stops working, from now (2160h for 90 days)")
	cmd.MarkFlagsMutuallyExclusive("expires-at", "expires-in")
}

// value is the chosen expiry, nil for none. A malformed time is reported
// like the Manager's field errors; whether it lies in the future is the
// Manager's to judge.
func (e *expiryFlags) value(now time.Time) (*time.Time, error) {
	switch {
	case e.at != "":
		t, err := time.Parse(time.RFC3339, e.at)
		if err != nil {
			return nil, invalidInput([]serviceaccount.FieldError{{Field: "expiresAt", Message: "must be an RFC 3339 time such as 2027-01-31T00:00:00Z"}})
		}
		return &t, nil
	case e.in < 0:
		return nil, invalidInput([]serviceaccount.FieldError{{Field: "expiresIn", Message: "must be positive"}})
	case e.in > 0:
		t := now.Add(e.in)
		return &t, nil
	}
	return nil, nil
}

func (a *app) keysCreateCommand() *cobra.Command {
	var expiry expiryFlags
	cmd := &cobra.Command{
		Use:   "create ACCOUNT_ID [--expires-at TIME | --expires-in DURATION]",
		Short: "Create an API key and print it, this once",
		Long: `Create an API key for a service account and print it. This is the only
time the key can be seen: store it now (only its hash is kept). With -o plain
the key is printed alone, so that KEY=$(…) captures it; with -o json it is the
"key" member of the management API's representation.`,
		Example: `  KEY=$(serviceaccounts keys create "$ACCOUNT" -o plain)
  serviceaccounts keys create "$ACCOUNT" --expires-at 2027-01-31T00:00:00Z -o json
  serviceaccounts keys create "$ACCOUNT" --expires-in 2160h`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			id, err := parseID("ACCOUNT_ID", args[0], "service account")
			if err != nil {
				return err
			}
			mgr, err := a.manager(ctx)
			if err != nil {
				return err
			}
			expiresAt, err := expiry.value(mgr.Clock().Now())
			if err != nil {
				return &failure{err: err}
			}
			created, err := mgr.CreateKey(ctx, id, serviceaccount.CreateKeyInput{ExpiresAt: expiresAt})
			if err != nil {
				return accountNotFound(err, id)
			}
			return a.printCreatedKey(cmd, created)
		}),
	}
	expiry.register(cmd)
	return cmd
}

// printCreatedKey prints a new key: the only output that holds a
// plaintext key, always on standard output.
func (a *app) printCreatedKey(cmd *cobra.Command, created serviceaccount.CreatedKey) error {
	switch a.output {
	case formatJSON:
		return a.printJSON(admin.CreatedKeyJSON(created))
	case formatPlain:
		return a.printLines(created.Plaintext)
	}
	if err := a.printKey("API key", created.Plaintext, created.Key); err != nil {
		return err
	}
	cmd.PrintErrln("Copy the API key now: it is shown only once.")
	return nil
}

// printKey prints one key record as name/value lines, led by first.
func (a *app) printKey(firstName, firstValue string, k apikey.Key) error {
	return a.fields(
		firstName, firstValue,
		"ID", k.ID.String(),
		"Service account", k.AccountID.String(),
		"Hint", k.Hint,
		"Created at", timeCell(k.CreatedAt),
		"Last used at", optionalTimeCell(k.LastUsedAt, "never"),
		"Expires at", optionalTimeCell(k.ExpiresAt, "never"),
	)
}

func (a *app) keysRotateCommand() *cobra.Command {
	var grace time.Duration
	var expiry expiryFlags
	cmd := &cobra.Command{
		Use:   "rotate ACCOUNT_ID KEY_ID [--grace DURATION]",
		Short: "Replace an API key with a new one; the old one works for a grace period",
		Long: `Create a new key for the same account and shorten the old key's life to a
grace period (default 24h; 0s ends it at once), in one transaction, so the
integration can switch without downtime. The new key is printed this once.`,
		Example: `  KEY=$(serviceaccounts keys rotate "$ACCOUNT" "$KEY_ID" -o plain)
  serviceaccounts keys rotate "$ACCOUNT" "$KEY_ID" --grace 1h -o json
  serviceaccounts keys rotate "$ACCOUNT" "$KEY_ID" --grace 0s   # the old key stops now`,
		Args:              args("ACCOUNT_ID", "KEY_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount, completeKey),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			return errNeedsLifecycle
		}),
	}
	cmd.Flags().DurationVar(&grace, "grace", 24*time.Hour, "how long the old key keeps working")
	expiry.register(cmd)
	return cmd
}

func (a *app) keysDisableCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "disable ACCOUNT_ID KEY_ID",
		Short:             "Disable an API key: it stops authenticating until enabled",
		Example:           `  serviceaccounts keys disable "$ACCOUNT" "$KEY_ID"`,
		Args:              args("ACCOUNT_ID", "KEY_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount, completeKey),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			return errNeedsLifecycle
		}),
	}
}

func (a *app) keysEnableCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "enable ACCOUNT_ID KEY_ID",
		Short:             "Enable a disabled API key",
		Example:           `  serviceaccounts keys enable "$ACCOUNT" "$KEY_ID"`,
		Args:              args("ACCOUNT_ID", "KEY_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount, completeKey),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			return errNeedsLifecycle
		}),
	}
}

func (a *app) keysDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ACCOUNT_ID KEY_ID",
		Short: "Delete an API key: it stops authenticating, irreversibly",
		Long: `Delete an API key of a service account. It stops authenticating: at once in
this database, and in running servers within their cache TTL. A key of
another account is not found.`,
		Example:           `  serviceaccounts keys delete 01a213e4-f068-755e-ae87-caee3d2d0993 01a213e5-2b1c-7d4e-9f0a-3c5d7e9f1a2b`,
		Args:              args("ACCOUNT_ID", "KEY_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount, completeKey),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			accountID, err := parseID("ACCOUNT_ID", args[0], "service account")
			if err != nil {
				return err
			}
			keyID, err := parseID("KEY_ID", args[1], "API key")
			if err != nil {
				return err
			}
			mgr, err := a.manager(ctx)
			if err != nil {
				return err
			}
			if err := mgr.DeleteKey(ctx, accountID, keyID); err != nil {
				return keyNotFound(err, accountID, keyID)
			}
			if a.output == formatTable {
				return a.printLines("Deleted API key " + keyID.String() + " of service account " + accountID.String() + ".")
			}
			return nil
		}),
	}
}

// errNeedsLifecycle answers the commands whose Manager methods this build
// of the library does not have yet.
var errNeedsLifecycle = &failure{err: errors.New("this command needs the key and account lifecycle of the library, which this build does not have yet")}
