package main

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func (a *app) accountsCommand() *cobra.Command {
	return groupCommand(&cobra.Command{
		Use:     "accounts",
		Aliases: []string{"account"},
		Short:   "List, create, change and delete service accounts",
		Example: `  serviceaccounts accounts list
  serviceaccounts accounts create --label "CI deploy" --description "Deploys from GitHub Actions" -o json`,
	},
		a.accountsListCommand(),
		a.accountsGetCommand(),
		a.accountsCreateCommand(),
		a.accountsUpdateCommand(),
		a.accountsDisableCommand(),
		a.accountsEnableCommand(),
		a.accountsDeleteCommand(),
	)
}

func (a *app) accountsListCommand() *cobra.Command {
	var limit int
	var cursor string
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List service accounts in creation order, one page at a time",
		Long: `List service accounts in creation order. One page of --limit accounts is
printed; when more follow, the cursor of the next page is printed too (on
standard error for tables, as nextCursor with -o json). --all prints every page.`,
		Example: `  serviceaccounts accounts list
  serviceaccounts accounts list --limit 200 -o json
  serviceaccounts accounts list --cursor AZMm7k1tdx6V9eYxwHzSwQ
  serviceaccounts accounts list --all -o plain     # every id, one a line`,
		Args: args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			if err := checkLimit(limit); err != nil {
				return err
			}
			mgr, err := a.backend(ctx)
			if err != nil {
				return err
			}
			page, err := mgr.ListAccounts(ctx, serviceaccount.ListAccountsParams{Limit: limit, Cursor: cursor})
			for all && err == nil && page.NextCursor != "" {
				var next serviceaccount.AccountPage
				next, err = mgr.ListAccounts(ctx, serviceaccount.ListAccountsParams{Limit: limit, Cursor: page.NextCursor})
				page = serviceaccount.AccountPage{Items: append(page.Items, next.Items...), NextCursor: next.NextCursor}
			}
			if err != nil {
				return err
			}
			switch a.output {
			case formatJSON:
				return a.printJSON(apijson.NewAccountPage(page))
			case formatPlain:
				return printIDs(a, page.Items, func(acc serviceaccount.Account) uuid.UUID { return acc.ID })
			}
			t := a.newTable("ID", "LABEL", "DESCRIPTION", "CREATED", "STATUS")
			for _, acc := range page.Items {
				t.row(acc.ID.String(), acc.Label, orDash(truncate(acc.Description, 50)), timeCell(acc.CreatedAt), accountStatus(acc))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if page.NextCursor != "" {
				cmd.PrintErrf("More accounts follow: run again with --cursor %s, or use --all.\n", page.NextCursor)
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", serviceaccount.DefaultPageSize, "accounts per page, 1 to 200")
	cmd.Flags().StringVar(&cursor, "cursor", "", "start after the page that printed this cursor")
	cmd.Flags().BoolVar(&all, "all", false, "print every page")
	return cmd
}

func (a *app) accountsGetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "get ACCOUNT_ID",
		Short: "Show one service account",
		Example: `  serviceaccounts accounts get 01a213e4-f068-755e-ae87-caee3d2d0993
  serviceaccounts accounts get "$ACCOUNT" -o json`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			mgr, id, err := a.accountArg(ctx, args[0])
			if err != nil {
				return err
			}
			acc, err := mgr.Account(ctx, id)
			if err != nil {
				return accountNotFound(err, id)
			}
			return a.printAccount(acc)
		}),
	}
}

// accountArg reads the ACCOUNT_ID argument and opens the Manager, in
// that order: a malformed id is reported without touching the database.
func (a *app) accountArg(ctx context.Context, arg string) (backend, uuid.UUID, error) {
	id, err := parseID("ACCOUNT_ID", arg, "service account")
	if err != nil {
		return nil, uuid.Nil, err
	}
	mgr, err := a.backend(ctx)
	if err != nil {
		return nil, uuid.Nil, err
	}
	return mgr, id, nil
}

func (a *app) printAccount(acc serviceaccount.Account) error {
	switch a.output {
	case formatJSON:
		return a.printJSON(apijson.NewAccount(acc))
	case formatPlain:
		return a.printLines(acc.ID.String())
	}
	pairs := []string{
		"ID", acc.ID.String(),
		"Label", acc.Label,
		"Description", orDash(acc.Description),
		"Created at", timeCell(acc.CreatedAt),
		"Updated at", timeCell(acc.UpdatedAt),
		"Disabled at", optionalTimeCell(acc.DisabledAt, "-"),
	}
	if acc.Metadata != nil { // only when set: the output of others is as before
		if b, err := metadata.Encode(acc.Metadata); err == nil {
			pairs = append(pairs, "Metadata", string(b))
		}
	}
	return a.fields(pairs...)
}

func accountStatus(acc serviceaccount.Account) string {
	if acc.Disabled() {
		return "disabled"
	}
	return "active"
}

func (a *app) accountsCreateCommand() *cobra.Command {
	var in serviceaccount.AccountInput
	var meta []string
	cmd := &cobra.Command{
		Use:   "create --label LABEL [--description TEXT] [--metadata NAME=VALUE…]",
		Short: "Create a service account",
		Long: `Create a service account. The label is required (1 to 100 characters, one
line); the description is optional (up to 1,000 characters). -o plain prints
the new id alone, for scripts.`,
		Example: `  serviceaccounts accounts create --label "CI deploy"
  serviceaccounts accounts create --label "Tekenradar export" --description "Nightly download of survey responses" -o json
  ACCOUNT=$(serviceaccounts accounts create --label "CI deploy" -o plain)`,
		Args: args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			if len(meta) > 0 {
				m, ferr := metadataFlags(meta)
				if ferr != nil {
					return &failure{err: invalidInput([]serviceaccount.FieldError{*ferr})}
				}
				in.Metadata = &m
			}
			mgr, err := a.backend(ctx)
			if err != nil {
				return err
			}
			acc, err := mgr.CreateAccount(ctx, in)
			if err != nil {
				return err
			}
			return a.printAccount(acc)
		}),
	}
	cmd.Flags().StringVar(&in.Label, "label", "", "what the account is for, 1 to 100 characters")
	cmd.Flags().StringVar(&in.Description, "description", "", "more about the account, up to 1,000 characters")
	cmd.Flags().StringArrayVar(&meta, "metadata", nil, "the application's NAME=VALUE (a string) on the account; repeatable")
	return cmd
}

func (a *app) accountsUpdateCommand() *cobra.Command {
	var label, description string
	var meta []string
	var noMeta bool
	cmd := &cobra.Command{
		Use:   "update ACCOUNT_ID [--label LABEL] [--description TEXT] [--metadata NAME=VALUE… | --no-metadata]",
		Short: "Change the label or description of a service account",
		Long: `Change the label, the description or both. A flag left out keeps its
value; --description "" clears the description. --metadata replaces the
account's metadata whole; --no-metadata removes it.`,
		Example: `  serviceaccounts accounts update "$ACCOUNT" --label "CI deploy (production)"
  serviceaccounts accounts update "$ACCOUNT" --description "" -o json`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			changeLabel, changeDescription := cmd.Flags().Changed("label"), cmd.Flags().Changed("description")
			if !changeLabel && !changeDescription && len(meta) == 0 && !noMeta {
				return usagef("%s needs --label, --description, --metadata or --no-metadata", cmd.CommandPath())
			}
			var patch serviceaccount.AccountPatch
			switch {
			case len(meta) > 0:
				m, ferr := metadataFlags(meta)
				if ferr != nil {
					return &failure{err: invalidInput([]serviceaccount.FieldError{*ferr})}
				}
				patch.Metadata = &m
			case noMeta:
				patch.Metadata = new(metadata.Map)
			}
			if changeLabel {
				patch.Label = &label
			}
			if changeDescription {
				patch.Description = &description
			}
			return a.patchAccount(ctx, args[0], patch)
		}),
	}
	cmd.Flags().StringVar(&label, "label", "", "new label, 1 to 100 characters")
	cmd.Flags().StringVar(&description, "description", "", "new description, up to 1,000 characters")
	cmd.Flags().StringArrayVar(&meta, "metadata", nil, "replace the account's metadata with NAME=VALUE (a string); repeatable")
	cmd.Flags().BoolVar(&noMeta, "no-metadata", false, "remove the account's metadata")
	cmd.MarkFlagsMutuallyExclusive("metadata", "no-metadata")
	return cmd
}

func (a *app) accountsDisableCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "disable ACCOUNT_ID",
		Short: "Disable a service account: none of its keys authenticate until it is enabled",
		Long: `Disable a service account: none of its keys authenticate, at once in this
database and in running servers within their cache TTL, until it is enabled
again. Its keys and permissions are kept. Disabling a disabled account
changes nothing.`,
		Example: `  serviceaccounts accounts disable "$ACCOUNT"
  serviceaccounts accounts disable "$ACCOUNT" -o json`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
		RunE:              a.setAccountDisabled(true),
	}
}

// setAccountDisabled is the action of accounts disable (true) and
// accounts enable (false).
func (a *app) setAccountDisabled(disabled bool) func(*cobra.Command, []string) error {
	return a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		return a.patchAccount(ctx, args[0], serviceaccount.AccountPatch{Disabled: &disabled})
	})
}

// patchAccount changes the account named by the argument id, in one
// transaction of the Manager's, and prints it.
func (a *app) patchAccount(ctx context.Context, id string, patch serviceaccount.AccountPatch) error {
	mgr, accountID, err := a.accountArg(ctx, id)
	if err != nil {
		return err
	}
	acc, err := mgr.PatchAccount(ctx, accountID, patch)
	if err != nil {
		return accountNotFound(err, accountID)
	}
	return a.printAccount(acc)
}

func (a *app) accountsEnableCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "enable ACCOUNT_ID",
		Short: "Enable a disabled service account: its keys authenticate again",
		Example: `  serviceaccounts accounts enable "$ACCOUNT"
  serviceaccounts accounts enable "$ACCOUNT" -o json`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
		RunE:              a.setAccountDisabled(false),
	}
}

func (a *app) accountsDeleteCommand() *cobra.Command {
	return a.deleteCommand(&cobra.Command{
		Use:   "delete ACCOUNT_ID",
		Short: "Delete a service account with all its keys and permissions, irreversibly",
		Long: `Delete a service account with all its keys and permissions, in one
transaction. Its keys stop authenticating: at once in this database, and in
running servers within their cache TTL. On a terminal it first names the
account and asks; elsewhere (a script, a pipeline) --yes is required.`,
		Example: `  serviceaccounts accounts delete 01a213e4-f068-755e-ae87-caee3d2d0993
  serviceaccounts accounts delete "$ACCOUNT" --yes    # in a script`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
	}, func(ctx context.Context, cmd *cobra.Command, args []string, yes bool) error {
		id, err := parseID("ACCOUNT_ID", args[0], "service account")
		if err != nil {
			return err
		}
		return a.runDelete(ctx, cmd, yes, deletion{
			describe: func(ctx context.Context, mgr backend) (string, error) {
				return describeAccountDelete(ctx, mgr, id)
			},
			remove: func(ctx context.Context, mgr backend) error {
				return mgr.DeleteAccount(ctx, id)
			},
			notFound: func(err error) error { return accountNotFound(err, id) },
			done:     "Deleted service account " + id.String() + " with its keys and permissions.",
		})
	})
}

// describeAccountDelete names the account and what goes with it, for the
// prompt.
func describeAccountDelete(ctx context.Context, mgr backend, id uuid.UUID) (string, error) {
	acc, err := mgr.Account(ctx, id)
	if err != nil {
		return "", err
	}
	keys, err := mgr.Keys(ctx, id)
	if err != nil {
		return "", err
	}
	perms, err := mgr.Permissions(ctx, id)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Delete service account %q (%s) with its %s and %s", acc.Label, id,
		plural(len(keys), "API key"), plural(len(perms), "permission")), nil
}
