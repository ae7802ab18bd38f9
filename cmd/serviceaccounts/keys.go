package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func (a *app) keysCommand() *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:     "keys",
		Aliases: []string{"key"},
		Short:   "List, create, update, rotate, disable and delete API keys",
		Long: `List, create, update (name and restrictions), rotate, disable and delete
the API keys of a service account, and list the keys of all accounts that
are due for rotation or removal (hygiene). A new key's plaintext is printed
once, when it is created; only its SHA-256
hash is stored, and lists show a hint (sa_AbCd…wxyz).`,
		Example: `  KEY=$(serviceaccounts keys create "$ACCOUNT" -o plain)
  serviceaccounts keys list "$ACCOUNT"
  serviceaccounts keys delete "$ACCOUNT" "$KEY_ID" --yes`,
	},
		a.keysListCommand(),
		a.keysCreateCommand(),
		a.keysRotateCommand(),
		a.keysUpdateCommand(),
		a.keysDisableCommand(),
		a.keysEnableCommand(),
		a.keysDeleteCommand(),
		a.keysHygieneCommand(),
	)
	// The application's key policy, for the commands that issue keys; the
	// same flags as the example server's.
	cmd.PersistentFlags().IntVar(&a.maxKeys, "max-keys", serviceaccount.DefaultMaxKeysPerAccount, "most unexpired keys an account may hold (0: no limit), as the application's policy says")
	cmd.PersistentFlags().DurationVar(&a.maxKeyLifetime, "max-key-lifetime", 0, "longest a new key may live, such as 2160h (0: unlimited), as the application's policy says")
	return cmd
}

func (a *app) keysListCommand() *cobra.Command {
	return listCommand(a, keyRecord, "List the API keys of a service account (never the keys themselves)", recordList[apikey.Key]{
		list:   backend.Keys,
		page:   func(keys []apikey.Key) any { return apijson.NewKeyList(a.tenant, keys) },
		id:     func(k apikey.Key) uuid.UUID { return k.ID },
		header: []string{"ID", "NAME", "HINT", "CREATED", "LAST USED", "EXPIRES", "STATUS"},
		row: func(k apikey.Key, now time.Time) []string {
			return []string{k.ID.String(), orDash(truncate(k.Name, 40)), k.Hint, timeCell(k.CreatedAt),
				optionalTimeCell(k.LastUsedAt, "never"), optionalTimeCell(k.ExpiresAt, "never"), keyStatus(k, now)}
		},
	})
}

// keyStatus says in a word whether a key authenticates: disabled,
// expired, replaced (rotated, working until its grace period ends) or
// active.
func keyStatus(k apikey.Key, now time.Time) string {
	switch {
	case k.Disabled():
		return "disabled"
	case k.Expired(now):
		return "expired"
	case k.ReplacedBy != nil:
		return "replaced"
	}
	return "active"
}

// expiryFlags are --expires-at and --expires-in, one or neither.
type expiryFlags struct {
	at string
	in time.Duration
}

// register adds the flags; byDefault says what an expiry given by neither
// is.
func (e *expiryFlags) register(cmd *cobra.Command, byDefault string) {
	cmd.Flags().StringVar(&e.at, "expires-at", "", "when the key stops working, RFC 3339 (2027-01-31T00:00:00Z); "+byDefault)
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
	var restrictions restrictionFlags
	var name string
	cmd := &cobra.Command{
		Use:   "create ACCOUNT_ID [--name NAME] [--expires-at TIME | --expires-in DURATION]",
		Short: "Create an API key and print it, this once",
		Long: `Create an API key for a service account and print it. This is the only
time the key can be seen: store it now (only its hash is kept). With -o plain
the key is printed alone, so that KEY=$(…) captures it; with -o json it is the
"key" member of the management API's representation.`,
		Example: `  KEY=$(serviceaccounts keys create "$ACCOUNT" -o plain)
  serviceaccounts keys create "$ACCOUNT" --name "GitHub Actions deploy" --expires-at 2027-01-31T00:00:00Z -o json
  serviceaccounts keys create "$ACCOUNT" --expires-in 2160h --max-key-lifetime 2160h`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			mgr, id, err := a.accountArg(ctx, args[0])
			if err != nil {
				return err
			}
			expiresAt, err := expiry.value(mgr.Clock().Now())
			if err != nil {
				return &failure{err: err}
			}
			r, err := restrictions.patch()
			if err != nil {
				return &failure{err: err}
			}
			created, err := mgr.CreateKey(ctx, id, serviceaccount.CreateKeyInput{Name: name, ExpiresAt: expiresAt,
				Scopes: deref(r.Scopes), AllowedCIDRs: deref(r.AllowedCIDRs), RateLimit: deref(r.RateLimit), Metadata: deref(r.Metadata)})
			if err != nil {
				return accountNotFound(err, id)
			}
			return a.printCreatedKey(cmd, created)
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "which integration uses the key, up to 100 characters")
	expiry.register(cmd, "default never")
	restrictions.register(cmd, false)
	return cmd
}

// printCreatedKey prints a new key: the only output that holds a
// plaintext key, always on standard output.
func (a *app) printCreatedKey(cmd *cobra.Command, created serviceaccount.CreatedKey) error {
	switch a.output {
	case formatJSON:
		return a.printJSON(apijson.NewCreatedKey(a.tenant, created))
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
	replacedBy := "-"
	if k.ReplacedBy != nil {
		replacedBy = k.ReplacedBy.String()
	}
	pairs := []string{
		"ID", k.ID.String(),
		"Service account", k.AccountID.String(),
		"Name", orDash(k.Name),
		"Hint", k.Hint,
		"Created at", timeCell(k.CreatedAt),
		"Last used at", optionalTimeCell(k.LastUsedAt, "never"),
		"Expires at", optionalTimeCell(k.ExpiresAt, "never"),
		"Disabled at", optionalTimeCell(k.DisabledAt, "-"),
		"Replaced by", replacedBy,
	}
	pairs = append(pairs, restrictionCells(k)...)
	if firstName != "" {
		pairs = append([]string{firstName, firstValue}, pairs...)
	}
	return a.fields(pairs...)
}

func (a *app) keysRotateCommand() *cobra.Command {
	var grace time.Duration
	var expiry expiryFlags
	var name string
	cmd := &cobra.Command{
		Use:   "rotate ACCOUNT_ID KEY_ID [--grace DURATION] [--name NAME] [--expires-at TIME | --expires-in DURATION]",
		Short: "Replace an API key with a new one; the old one works for a grace period",
		Long: `Create a new key for the same account and shorten the old key's life to a
grace period (default 24h; 0s ends it at once), in one transaction, so the
integration can switch without downtime. The new key keeps the old one's name
and gets the lifetime the old one was created with, unless told otherwise. It
is printed this once: with -o plain alone, with -o json as
{"created": key with "key", "previous": the old key as now stored}. A disabled,
expired or already rotated key cannot be rotated.`,
		Example: `  KEY=$(serviceaccounts keys rotate "$ACCOUNT" "$KEY_ID" -o plain)
  serviceaccounts keys rotate "$ACCOUNT" "$KEY_ID" --grace 1h -o json
  serviceaccounts keys rotate "$ACCOUNT" "$KEY_ID" --grace 0s   # the old key stops now`,
		Args:              args("ACCOUNT_ID", "KEY_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount, completeKey),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			accountID, keyID, err := keyRecord.args(args)
			if err != nil {
				return err
			}
			var in serviceaccount.RotateKeyInput
			if cmd.Flags().Changed("name") {
				in.Name = &name
			}
			if cmd.Flags().Changed("grace") {
				if grace%time.Second != 0 {
					return &failure{err: invalidInput([]serviceaccount.FieldError{{Field: "gracePeriodSeconds", Message: "must be whole seconds, such as 90s or 24h"}})}
				}
				seconds := int64(grace / time.Second)
				in.GracePeriodSeconds = &seconds
			}
			mgr, err := a.backend(ctx)
			if err != nil {
				return err
			}
			if in.ExpiresAt, err = expiry.value(mgr.Clock().Now()); err != nil {
				return &failure{err: err}
			}
			rotated, err := mgr.RotateKey(ctx, accountID, keyID, in)
			if err != nil {
				return keyRecord.notFound(err, accountID, keyID)
			}
			switch a.output {
			case formatJSON:
				return a.printJSON(apijson.NewRotatedKey(a.tenant, rotated))
			case formatPlain:
				return a.printLines(rotated.Created.Plaintext)
			}
			if err := a.printKey("New API key", rotated.Created.Plaintext, rotated.Created.Key); err != nil {
				return err
			}
			cmd.PrintErrf("Copy the new API key now: it is shown only once. The old key %s works until %s.\n",
				rotated.Previous.ID, optionalTimeCell(rotated.Previous.ExpiresAt, "its expiry"))
			return nil
		}),
	}
	cmd.Flags().DurationVar(&grace, "grace", serviceaccount.DefaultRotationGrace, "how long the old key keeps working, up to 168h (0s: it stops now)")
	cmd.Flags().StringVar(&name, "name", "", "name of the new key (default: the old key's)")
	expiry.register(cmd, "default: the lifetime the old key was created with, from now")
	return cmd
}

// existingAccount reads the ACCOUNT_ID argument and opens the Manager.
// An unknown account has no keys or permissions; the lists of them say it
// does not exist instead of printing nothing.
func (a *app) existingAccount(ctx context.Context, arg string) (backend, uuid.UUID, error) {
	mgr, id, err := a.accountArg(ctx, arg)
	if err != nil {
		return nil, uuid.Nil, err
	}
	if _, err := mgr.Account(ctx, id); err != nil {
		return nil, uuid.Nil, accountNotFound(err, id)
	}
	return mgr, id, nil
}

// setKeyDisabled is the action of keys disable (true) and keys enable
// (false).
func (a *app) setKeyDisabled(disabled bool) func(*cobra.Command, []string) error {
	return a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		return a.patchKey(ctx, args, serviceaccount.KeyPatch{Disabled: &disabled})
	})
}

// patchKey changes the key named by args, in one transaction of the
// Manager's, and prints it.
func (a *app) patchKey(ctx context.Context, args []string, patch serviceaccount.KeyPatch) error {
	mgr, accountID, keyID, err := a.openRecord(ctx, keyRecord, args)
	if err != nil {
		return err
	}
	k, err := mgr.PatchKey(ctx, accountID, keyID, patch)
	if err != nil {
		return keyRecord.notFound(err, accountID, keyID)
	}
	switch a.output {
	case formatJSON:
		return a.printJSON(apijson.NewAPIKey(a.tenant, k))
	case formatPlain:
		return a.printLines(k.ID.String())
	}
	return a.printKey("", "", k)
}

func (a *app) keysDisableCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "disable ACCOUNT_ID KEY_ID",
		Short: "Disable an API key: it stops authenticating until enabled",
		Long: `Disable an API key: it stops authenticating, at once in this database and in
running servers within their cache TTL, until it is enabled again. It still
counts as a key of the account.`,
		Example:           `  serviceaccounts keys disable "$ACCOUNT" "$KEY_ID"`,
		Args:              args("ACCOUNT_ID", "KEY_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount, completeKey),
		RunE:              a.setKeyDisabled(true),
	}
}

func (a *app) keysEnableCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "enable ACCOUNT_ID KEY_ID",
		Short:             "Enable a disabled API key",
		Example:           `  serviceaccounts keys enable "$ACCOUNT" "$KEY_ID"`,
		Args:              args("ACCOUNT_ID", "KEY_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount, completeKey),
		RunE:              a.setKeyDisabled(false),
	}
}

func (a *app) keysDeleteCommand() *cobra.Command {
	return recordDeleteCommand(a, keyRecord, &cobra.Command{
		Use:   "delete ACCOUNT_ID KEY_ID",
		Short: "Delete an API key: it stops authenticating, irreversibly",
		Long: `Delete an API key of a service account. It stops authenticating: at once in
this database, and in running servers within their cache TTL. A key of
another account is not found. On a terminal it first names the key (its
name and hint) and asks; elsewhere (a script, a pipeline) --yes is required.`,
		Example: `  serviceaccounts keys delete 01a213e4-f068-755e-ae87-caee3d2d0993 01a213e5-2b1c-7d4e-9f0a-3c5d7e9f1a2b
  serviceaccounts keys delete "$ACCOUNT" "$KEY_ID" --yes    # in a script`,
	}, recordDelete[apikey.Key]{
		get:      backend.Key,
		describe: describeKeyDelete,
		remove:   backend.DeleteKey,
		done:     "Deleted API key %s of service account %s.",
	})
}

// describeKeyDelete names the key by its name and hint, for the prompt:
// ids alone do not tell a person which key goes.
func describeKeyDelete(key apikey.Key) string {
	name := "(unnamed)"
	if key.Name != "" {
		name = fmt.Sprintf("%q", key.Name)
	}
	return fmt.Sprintf("Delete API key %s (hint %s, id %s)", name, key.Hint, key.ID)
}
