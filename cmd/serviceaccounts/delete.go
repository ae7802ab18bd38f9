package main

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

// deletion is what one delete command adds to the flow every delete
// shares (runDelete): the ids are read by the caller before it is built,
// so a malformed id is reported before anything else.
type deletion struct {
	// describe names exactly what goes, for the prompt; it reads the
	// record, so an unknown one is reported before the question.
	describe func(ctx context.Context, mgr backend) (string, error)
	// remove deletes it.
	remove func(ctx context.Context, mgr backend) error
	// notFound turns a not-found error into one that says how to list
	// what exists.
	notFound func(err error) error
	// done is the line printed in table output after the delete.
	done string
}

// runDelete is the one confirm-then-delete flow of accounts delete, keys
// delete and permissions revoke, in the order they must keep: refuse
// when nobody can confirm (before the database is opened), open the
// Manager, name the record and ask (unless --yes), delete, and say so.
func (a *app) runDelete(ctx context.Context, cmd *cobra.Command, yes bool, d deletion) error {
	if err := a.checkConsent(cmd, yes); err != nil {
		return err
	}
	mgr, err := a.backend(ctx)
	if err != nil {
		return err
	}
	ctx, cancel, err := a.confirmed(ctx, cmd, yes, func(ctx context.Context) (string, error) {
		return d.describe(ctx, mgr)
	})
	if err != nil {
		return d.notFound(err)
	}
	defer cancel()
	if err := d.remove(ctx, mgr); err != nil {
		return d.notFound(err)
	}
	if a.output == formatTable {
		return a.printLines(d.done)
	}
	return nil
}

// deleteCommand gives cmd the --yes flag every delete has and runs run
// with its value.
func (a *app) deleteCommand(cmd *cobra.Command, run func(ctx context.Context, cmd *cobra.Command, args []string, yes bool) error) *cobra.Command {
	var yes bool
	cmd.RunE = a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		return run(ctx, cmd, args, yes)
	})
	yesFlag(cmd, &yes)
	return cmd
}

// recordDelete is what deleting one kind of account record T (an API
// key, a permission) needs beyond its accountRecord.
type recordDelete[T any] struct {
	// get reads the record, such as backend.Key.
	get func(mgr backend, ctx context.Context, accountID, id uuid.UUID) (T, error)
	// describe names the record for the prompt; the account is added.
	describe func(item T) string
	// remove deletes it, such as backend.DeleteKey.
	remove func(mgr backend, ctx context.Context, accountID, id uuid.UUID) error
	// done is the table output's line, formatted with the record's id and
	// then the account's.
	done string
}

// recordDeleteCommand is the delete command of the records r names: its
// arguments are ACCOUNT_ID and the record's id, completed by the shell.
func recordDeleteCommand[T any](a *app, r accountRecord, cmd *cobra.Command, d recordDelete[T]) *cobra.Command {
	cmd.Args = args("ACCOUNT_ID", r.arg)
	cmd.ValidArgsFunction = a.completeIDs(completeAccount, r.complete)
	return a.deleteCommand(cmd, func(ctx context.Context, cmd *cobra.Command, args []string, yes bool) error {
		return deleteRecord(ctx, a, cmd, yes, r, args, d)
	})
}

// deleteRecord reads ACCOUNT_ID and the record's id (a malformed one is
// reported before anything else) and runs the shared delete flow; the
// prompt names the record and then its account, read in that order.
func deleteRecord[T any](ctx context.Context, a *app, cmd *cobra.Command, yes bool, r accountRecord, args []string, d recordDelete[T]) error {
	accountID, id, err := r.args(args)
	if err != nil {
		return err
	}
	return a.runDelete(ctx, cmd, yes, deletion{
		describe: func(ctx context.Context, mgr backend) (string, error) {
			item, err := d.get(mgr, ctx, accountID, id)
			if err != nil {
				return "", err
			}
			acc, err := mgr.Account(ctx, accountID)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s of service account %q (%s)", d.describe(item), acc.Label, accountID), nil
		},
		remove: func(ctx context.Context, mgr backend) error {
			return d.remove(mgr, ctx, accountID, id)
		},
		notFound: func(err error) error { return r.notFound(err, accountID, id) },
		done:     fmt.Sprintf(d.done, id, accountID),
	})
}
