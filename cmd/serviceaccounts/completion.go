package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// idKind is what a positional id names, for shell completion.
type idKind int

const (
	completeAccount    idKind = iota
	completeKey               // of the account named by the first argument
	completePermission        // of the account named by the first argument
)

// completionTimeout keeps a slow database from hanging the shell.
const completionTimeout = 3 * time.Second

// completeIDs completes the positional ids of a command, in order, with the
// ids in the database (--db or SA_DB) or on the server (--server or
// SA_SERVER), described by label, hint or grant. Without a reachable
// database or server it offers nothing: never a file name.
func (a *app) completeIDs(kinds ...idKind) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		const none = cobra.ShellCompDirectiveNoFileComp
		if len(args) >= len(kinds) || a.complete() != nil {
			return nil, none
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
		defer cancel()
		// The shell's standard input is not a token: with --server,
		// completion uses SA_ADMIN_TOKEN or offers nothing.
		a.tokenFromEnvOnly = true
		mgr, err := a.backend(ctx)
		if err != nil {
			return nil, none
		}
		var out []cobra.Completion
		switch kinds[len(args)] {
		case completeAccount:
			page, err := mgr.ListAccounts(ctx, serviceaccount.ListAccountsParams{Limit: serviceaccount.MaxPageSize})
			if err != nil {
				return nil, none
			}
			for _, acc := range page.Items {
				out = append(out, cobra.CompletionWithDesc(acc.ID.String(), acc.Label))
			}
		case completeKey:
			id, err := parseID("ACCOUNT_ID", args[0], "service account")
			if err != nil {
				return nil, none
			}
			keys, err := mgr.Keys(ctx, id)
			if err != nil {
				return nil, none
			}
			for _, k := range keys {
				out = append(out, cobra.CompletionWithDesc(k.ID.String(), k.Hint))
			}
		case completePermission:
			id, err := parseID("ACCOUNT_ID", args[0], "service account")
			if err != nil {
				return nil, none
			}
			perms, err := mgr.Permissions(ctx, id)
			if err != nil {
				return nil, none
			}
			for _, p := range perms {
				out = append(out, cobra.CompletionWithDesc(p.ID.String(), p.ResourceType+" "+p.ResourceKey+" "+p.Action))
			}
		}
		return out, none
	}
}
