package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
)

func (a *app) auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "audit",
		Short:   "Read the audit log of changes",
		Example: `  serviceaccounts audit list --account "$ACCOUNT"`,
		Args:    groupArgs,
		RunE:    groupRun,
	}
	cmd.AddCommand(a.auditListCommand())
	return cmd
}

func (a *app) auditListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List audit events, newest first",
		Example: `  serviceaccounts audit list --account "$ACCOUNT" -o json`,
		Args:    args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			return &failure{err: errors.New("this command needs the audit log of the library, which this build does not have yet")}
		}),
	}
}
