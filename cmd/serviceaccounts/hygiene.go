package main

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// keysHygieneCommand is the hygiene list: the keys of every account that
// are due for rotation or removal, as the admin API's GET /api-keys.
func (a *app) keysHygieneCommand() *cobra.Command {
	var p serviceaccount.ListAllKeysParams
	var expiresWithin, unusedFor int
	var all bool
	cmd := &cobra.Command{
		Use:   "hygiene [--expires-within-days N] [--unused-for-days N]",
		Short: "List the keys of all accounts that expire soon or go unused",
		Long: `List the API keys of all service accounts, in creation order, one page of
--limit at a time (--all for every page): those not yet expired that expire
within --expires-within-days, those not used (or never used) for
--unused-for-days, both when both are given, every key when neither is. These
are the keys to rotate or to remove.`,
		Example: `  serviceaccounts keys hygiene --expires-within-days 30
  serviceaccounts keys hygiene --unused-for-days 90 --all -o json
  serviceaccounts keys hygiene --unused-for-days 90 --all -o plain   # key ids, one a line`,
		Args: args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			if err := checkLimit(p.Limit); err != nil {
				return err
			}
			// Checked here, so that both modes say it alike (the admin
			// API words its own message).
			var fields []serviceaccount.FieldError
			for _, d := range []struct {
				flag, field string
				days        *int
				dst         **int
			}{{"expires-within-days", "expiresWithinDays", &expiresWithin, &p.ExpiresWithinDays}, {"unused-for-days", "unusedForDays", &unusedFor, &p.UnusedForDays}} {
				if !cmd.Flags().Changed(d.flag) {
					continue
				}
				if *d.days < 0 || *d.days > serviceaccount.MaxFilterDays {
					fields = append(fields, serviceaccount.FieldError{Field: d.field, Message: fmt.Sprintf("must be from 0 to %d", serviceaccount.MaxFilterDays)})
				}
				*d.dst = d.days
			}
			if len(fields) > 0 {
				return invalidInput(fields)
			}
			b, err := a.backend(ctx)
			if err != nil {
				return err
			}
			page, err := b.ListAllKeys(ctx, p)
			for all && err == nil && page.NextCursor != "" {
				next := p
				next.Cursor = page.NextCursor
				var more serviceaccount.KeyPage
				more, err = b.ListAllKeys(ctx, next)
				page = serviceaccount.KeyPage{Items: append(page.Items, more.Items...), NextCursor: more.NextCursor}
			}
			if err != nil {
				return err
			}
			switch a.output {
			case formatJSON:
				return a.printJSON(apijson.NewKeyPage(a.tenant, page))
			case formatPlain:
				return printIDs(a, page.Items, func(k apikey.Key) uuid.UUID { return k.ID })
			}
			now := b.Clock().Now()
			t := a.newTable("ID", "ACCOUNT", "NAME", "HINT", "CREATED", "LAST USED", "EXPIRES", "STATUS")
			for _, k := range page.Items {
				t.row(k.ID.String(), k.AccountID.String(), orDash(truncate(k.Name, 40)), k.Hint, timeCell(k.CreatedAt),
					optionalTimeCell(k.LastUsedAt, "never"), optionalTimeCell(k.ExpiresAt, "never"), keyStatus(k, now))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if page.NextCursor != "" {
				cmd.PrintErrf("More keys follow: run again with --cursor %s, or use --all.\n", page.NextCursor)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.IntVar(&expiresWithin, "expires-within-days", 0, "only keys not yet expired that expire within this many days")
	f.IntVar(&unusedFor, "unused-for-days", 0, "only keys not used, or never used, for this many days")
	f.IntVar(&p.Limit, "limit", serviceaccount.DefaultPageSize, "keys per page, 1 to 200")
	f.StringVar(&p.Cursor, "cursor", "", "start after the page that printed this cursor")
	f.BoolVar(&all, "all", false, "print every page")
	return cmd
}
