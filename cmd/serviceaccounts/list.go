package main

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

// recordList is what listing one kind of account record (API keys,
// permissions) needs beyond the flow listRecords shares.
type recordList[T any] struct {
	// list reads the account's records, such as
	// backend.Keys.
	list func(mgr backend, ctx context.Context, accountID uuid.UUID) ([]T, error)
	// page is the -o json document, the admin API's list shape.
	page func(items []T) any
	// id is what -o plain prints, one a line.
	id func(item T) uuid.UUID
	// header and row are the table's columns; row gets the Manager's
	// clock reading, for statuses that depend on time.
	header []string
	row    func(item T, now time.Time) []string
}

// listRecords lists the records of the account named by arg: an unknown
// account is an error (not an empty list), and the output follows -o.
func listRecords[T any](ctx context.Context, a *app, arg string, l recordList[T]) error {
	mgr, id, err := a.existingAccount(ctx, arg)
	if err != nil {
		return err
	}
	items, err := l.list(mgr, ctx, id)
	if err != nil {
		return err
	}
	switch a.output {
	case formatJSON:
		return a.printJSON(l.page(items))
	case formatPlain:
		return printIDs(a, items, l.id)
	}
	now := mgr.Clock().Now()
	t := a.newTable(l.header...)
	for _, item := range items {
		t.row(l.row(item, now)...)
	}
	return t.flush()
}

// listCommand is "serviceaccounts GROUP list ACCOUNT_ID" for the records
// r names.
func listCommand[T any](a *app, r accountRecord, short string, l recordList[T]) *cobra.Command {
	return &cobra.Command{
		Use:   "list ACCOUNT_ID",
		Short: short,
		Example: `  serviceaccounts ` + r.group + ` list "$ACCOUNT"
  serviceaccounts ` + r.group + ` list "$ACCOUNT" -o json`,
		Args:              args("ACCOUNT_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			return listRecords(ctx, a, args[0], l)
		}),
	}
}
