package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore"
)

func (a *app) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create the store's tables, or bring them up to date",
		Long: `Create the store's tables in the database, or apply the migrations it
lacks. Running it again changes nothing, and several processes may run it at
once. Every other command refuses to work on a database that needs migrating.`,
		Example: `  serviceaccounts --db sqlite:serviceaccounts.db migrate
  SA_DB='postgres://app:secret@db.internal:5432/app?sslmode=require' serviceaccounts migrate --table-prefix sa_
  serviceaccounts --db mysql://root@127.0.0.1:3306/app migrate -o json`,
		Args: args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			if a.server != "" {
				// The admin API has no route that changes the schema, by
				// design: that needs the database's own credentials.
				return usagef("migrate works on a database only (--db or %s), not through --server: the example server migrates its database when it starts", envDB)
			}
			pool, err := a.open(ctx, true)
			if err != nil {
				return err
			}
			pending, err := sqlstore.PendingMigrations(ctx, pool, a.storeOptions()...)
			if err != nil {
				return err
			}
			if err := sqlstore.Migrate(ctx, pool, a.storeOptions()...); err != nil {
				return err
			}
			db := sqlstore.RedactURL(a.db)
			switch a.output {
			case formatJSON:
				return a.printJSON(struct {
					Database string   `json:"database"`
					Applied  []string `json:"applied"`
				}{db, append([]string{}, pending...)})
			case formatPlain:
				return a.printLines(pending...)
			}
			if len(pending) == 0 {
				return a.printLines(fmt.Sprintf("%s is up to date.", db))
			}
			return a.printLines(fmt.Sprintf("Applied %d migration(s) to %s: %s.", len(pending), db, strings.Join(pending, ", ")))
		}),
	}
}
