package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
)

func (a *app) catalogCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "catalog",
		Short: "List the resource types, keys, actions and limiter keys that may be granted",
		Long: `List what "permissions grant" accepts: each resource type with its resource
keys ("any" when the application names its own, such as study keys), its
actions and, per action, the limiter keys a limiter may use. This is the
library's default catalog, or the application's given with --catalog FILE
(a file in the form -o json prints); it needs no database. With --server,
it is the catalog of the server, which checks the grants made through it.`,
		Example: `  serviceaccounts catalog
  serviceaccounts catalog -o json > catalog.json     # a start for an application's own
  serviceaccounts --catalog catalog.json catalog`,
		Args: args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			catalog, err := a.catalogOf(ctx)
			if err != nil {
				return err
			}
			switch a.output {
			case formatJSON:
				return a.printJSON(apijson.NewCatalog(catalog))
			case formatPlain:
				for _, t := range catalog.ResourceTypes() {
					if err := a.printLines(t.ID); err != nil {
						return err
					}
				}
				return nil
			}
			tab := a.newTable("TYPE", "NAME", "RESOURCE KEYS", "ACTION", "LIMITER KEYS")
			for _, t := range catalog.ResourceTypes() {
				keys := strings.Join(t.Keys, ", ")
				if t.OpenKeys {
					keys = strings.Join(append([]string{"any"}, t.Keys...), ", ")
				}
				for i, act := range t.Actions {
					if i == 0 {
						tab.row(t.ID, t.DisplayName, keys, act.ID, orDash(strings.Join(act.LimiterKeys, ", ")))
					} else {
						tab.row("", "", "", act.ID, orDash(strings.Join(act.LimiterKeys, ", ")))
					}
				}
			}
			return tab.flush()
		}),
	}
}
