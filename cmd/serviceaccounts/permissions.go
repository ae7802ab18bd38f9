package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func (a *app) permissionsCommand() *cobra.Command {
	return groupCommand(&cobra.Command{
		Use:     "permissions",
		Aliases: []string{"permission"},
		Short:   "List, grant, limit and revoke permissions",
		Long: `List, grant, limit and revoke the permissions of a service account. A
permission is a resource type, a resource key (* for all), an action (* for
all) and an optional limiter: JSON that narrows it to requests whose
attributes match, e.g. [{"surveyKey":"intake"}]. "serviceaccounts catalog"
lists what may be granted.`,
		Example: `  serviceaccounts permissions grant "$ACCOUNT" --type study --key tekenradar --action get-responses --limiter '[{"surveyKey":"intake"}]'
  serviceaccounts permissions list "$ACCOUNT"`,
	},
		a.permissionsListCommand(),
		a.permissionsGrantCommand(),
		a.permissionsSetLimiterCommand(),
		a.permissionsRevokeCommand(),
	)
}

func (a *app) permissionsListCommand() *cobra.Command {
	return listCommand(a, permissionRecord, "List the permissions of a service account", recordList[permission.Permission]{
		list:   backend.Permissions,
		page:   func(perms []permission.Permission) any { return apijson.NewPermissionList(perms) },
		id:     func(p permission.Permission) uuid.UUID { return p.ID },
		header: []string{"ID", "TYPE", "KEY", "ACTION", "LIMITER", "CREATED"},
		row: func(p permission.Permission, _ time.Time) []string {
			return []string{p.ID.String(), p.ResourceType, p.ResourceKey, p.Action, limiterCell(p), timeCell(p.CreatedAt)}
		},
	})
}

// limiterCell is the limiter's canonical JSON, or "-".
func limiterCell(p permission.Permission) string {
	if p.Limiter == nil {
		return "-"
	}
	b, err := json.Marshal(p.Limiter)
	if err != nil {
		return "?"
	}
	return string(b)
}

func (a *app) printPermission(p permission.Permission) error {
	switch a.output {
	case formatJSON:
		return a.printJSON(apijson.NewPermission(p))
	case formatPlain:
		return a.printLines(p.ID.String())
	}
	return a.fields(
		"ID", p.ID.String(),
		"Service account", p.AccountID.String(),
		"Resource type", p.ResourceType,
		"Resource key", p.ResourceKey,
		"Action", p.Action,
		"Limiter", limiterCell(p),
		"Created at", timeCell(p.CreatedAt),
	)
}

func (a *app) permissionsGrantCommand() *cobra.Command {
	var in serviceaccount.PermissionInput
	var limiterJSON string
	cmd := &cobra.Command{
		Use:   "grant ACCOUNT_ID --type TYPE --key KEY --action ACTION [--limiter JSON]",
		Short: "Grant a permission to a service account",
		Long: `Grant a permission. It is checked against the catalog ("serviceaccounts
catalog"): the type, key and action must exist, and a limiter is allowed only
on actions that declare limiter keys. Granting what the account already holds
fails. The catalog is the library's default; give the application's own
permission types with --catalog FILE (or SA_CATALOG).`,
		Example: `  serviceaccounts permissions grant "$ACCOUNT" --type study --key tekenradar --action get-responses
  serviceaccounts permissions grant "$ACCOUNT" --type study --key tekenradar --action get-responses --limiter '[{"surveyKey":"intake"}]' -o json
  serviceaccounts permissions grant "$ACCOUNT" --type messaging --key sms-templates --action '*' --limiter '[{"studyKey":["a","b"]}]'
  serviceaccounts --catalog catalog.json permissions grant "$ACCOUNT" --type report --key monthly --action download`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			mgr, id, err := a.accountArg(ctx, args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(limiterJSON) != "" {
				in.Limiter = json.RawMessage(limiterJSON)
			}
			p, err := mgr.AddPermission(ctx, id, in)
			if err != nil {
				return accountNotFound(err, id)
			}
			return a.printPermission(p)
		}),
	}
	cmd.Flags().StringVar(&in.ResourceType, "type", "", "resource type, such as study, messaging or users")
	cmd.Flags().StringVar(&in.ResourceKey, "key", "", "resource key, such as a study key, or * for all")
	cmd.Flags().StringVar(&in.Action, "action", "", "action, such as get-responses, or * for all")
	cmd.Flags().StringVar(&limiterJSON, "limiter", "", `JSON array of objects narrowing the grant, such as [{"surveyKey":"intake"}]`)
	a.completeCatalog(cmd)
	return cmd
}

// completeCatalog completes --type, --key and --action from the catalog
// (of --catalog, if given; a catalog that cannot be read completes
// nothing).
func (a *app) completeCatalog(cmd *cobra.Command) {
	types := func() []permission.ResourceType {
		catalog, err := a.permissionCatalog()
		if err != nil {
			return nil
		}
		return catalog.ResourceTypes()
	}
	const none = cobra.ShellCompDirectiveNoFileComp
	_ = cmd.RegisterFlagCompletionFunc("type", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, t := range types() {
			out = append(out, cobra.CompletionWithDesc(t.ID, t.DisplayName))
		}
		return out, none
	})
	chosen := func(cmd *cobra.Command) (permission.ResourceType, bool) {
		typ, _ := cmd.Flags().GetString("type")
		for _, t := range types() {
			if t.ID == typ {
				return t, true
			}
		}
		return permission.ResourceType{}, false
	}
	_ = cmd.RegisterFlagCompletionFunc("key", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		t, ok := chosen(cmd)
		if !ok {
			return nil, none
		}
		return t.Keys, none
	})
	_ = cmd.RegisterFlagCompletionFunc("action", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		t, ok := chosen(cmd)
		if !ok {
			return nil, none
		}
		var out []cobra.Completion
		for _, act := range t.Actions {
			out = append(out, act.ID)
		}
		return out, none
	})
}

func (a *app) permissionsSetLimiterCommand() *cobra.Command {
	var limiterJSON string
	cmd := &cobra.Command{
		Use:   "set-limiter ACCOUNT_ID PERMISSION_ID --limiter JSON|null",
		Short: "Replace the limiter of a permission, or remove it with null",
		Long: `Replace the limiter of a permission. --limiter is required: a JSON array of
objects, or null to remove the limiter (which widens the permission).`,
		Example: `  serviceaccounts permissions set-limiter "$ACCOUNT" "$PERMISSION" --limiter '[{"surveyKey":["intake","followup"]}]'
  serviceaccounts permissions set-limiter "$ACCOUNT" "$PERMISSION" --limiter null -o json`,
		Args:              args("ACCOUNT_ID", "PERMISSION_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount, completePermission),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			mgr, accountID, permissionID, err := a.openRecord(ctx, permissionRecord, args)
			if err != nil {
				return err
			}
			p, err := mgr.SetLimiter(ctx, accountID, permissionID, json.RawMessage(limiterJSON))
			if err != nil {
				return permissionRecord.notFound(err, accountID, permissionID)
			}
			return a.printPermission(p)
		}),
	}
	cmd.Flags().StringVar(&limiterJSON, "limiter", "", `JSON array of objects, such as [{"surveyKey":"intake"}], or null to remove the limiter`)
	_ = cmd.MarkFlagRequired("limiter")
	return cmd
}

func (a *app) permissionsRevokeCommand() *cobra.Command {
	return recordDeleteCommand(a, permissionRecord, &cobra.Command{
		Use:   "revoke ACCOUNT_ID PERMISSION_ID",
		Short: "Delete a permission of a service account",
		Long: `Delete a permission of a service account. On a terminal it first names the
permission and asks; elsewhere (a script, a pipeline) --yes is required.`,
		Example: `  serviceaccounts permissions revoke "$ACCOUNT" "$PERMISSION" --yes`,
	}, recordDelete[permission.Permission]{
		get:      backend.Permission,
		describe: describePermissionDelete,
		remove:   backend.DeletePermission,
		done:     "Revoked permission %s of service account %s.",
	})
}

// describePermissionDelete names what the permission allows, for the
// prompt.
func describePermissionDelete(p permission.Permission) string {
	return fmt.Sprintf("Revoke permission %s on %s %q (id %s)", p.Action, p.ResourceType, p.ResourceKey, p.ID)
}
