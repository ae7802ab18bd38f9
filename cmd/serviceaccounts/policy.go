package main

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

func (a *app) tenantsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenants",
		Short: "List the tenants of the database",
		Long: `Every account belongs to one tenant, fixed at creation; every command acts
in the tenant of --tenant (or SA_TENANT), "default" unless told otherwise.`,
		Example: `  serviceaccounts tenants list
  serviceaccounts --tenant acme accounts list`,
		Args: groupArgs,
		RunE: groupRun,
	}
	cmd.AddCommand(a.tenantsListCommand())
	return cmd
}

func (a *app) tenantsListCommand() *cobra.Command {
	var limit int
	var cursor string
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tenants that hold accounts or a stored policy, by id",
		Long: `List the tenants that hold accounts or a stored policy, ordered by id, with
how many accounts each holds (disabled ones included). The tenant "default"
is listed only when it holds either. --tenant does not matter here.`,
		Example: `  serviceaccounts tenants list
  serviceaccounts tenants list --all -o plain     # every tenant id, one a line`,
		Args: args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			if err := checkLimit(limit); err != nil {
				return err
			}
			mgr, err := a.manager(ctx)
			if err != nil {
				return err
			}
			page, err := mgr.ListTenants(ctx, serviceaccount.ListTenantsParams{Limit: limit, Cursor: cursor})
			for all && err == nil && page.NextCursor != "" {
				var next serviceaccount.TenantPage
				next, err = mgr.ListTenants(ctx, serviceaccount.ListTenantsParams{Limit: limit, Cursor: page.NextCursor})
				page = serviceaccount.TenantPage{Items: append(page.Items, next.Items...), NextCursor: next.NextCursor}
			}
			if err != nil {
				return err
			}
			switch a.output {
			case formatJSON:
				return a.printJSON(apijson.NewTenantPage(page, nil))
			case formatPlain:
				for _, t := range page.Items {
					if err := a.printLines(t.ID); err != nil {
						return err
					}
				}
				return nil
			}
			t := a.newTable("TENANT", "ACCOUNTS")
			for _, tn := range page.Items {
				t.row(tn.ID, strconv.Itoa(tn.AccountCount))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if page.NextCursor != "" {
				cmd.PrintErrf("More tenants follow: run again with --cursor %s, or use --all.\n", page.NextCursor)
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", serviceaccount.DefaultPageSize, "tenants per page, 1 to 200")
	cmd.Flags().StringVar(&cursor, "cursor", "", "start after the page that printed this cursor")
	cmd.Flags().BoolVar(&all, "all", false, "print every page")
	return cmd
}

func (a *app) policyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show or set the key policy stored in the database",
		Long: `The key policy (most keys per account, longest and default key lifetime,
longest rotation grace, what a leak report does, when unused keys are
reported) is stored in the database, per tenant, so that every server
instance and this tool enforce the same limits. A tenant without a policy
of its own uses the database-wide default (--defaults).`,
		Example: `  serviceaccounts --tenant acme policy get
  serviceaccounts policy set --defaults --max-keys-per-account 5 --max-key-lifetime 2160h \
      --default-key-lifetime 720h --max-rotation-grace 24h`,
		Args: groupArgs,
		RunE: groupRun,
	}
	cmd.AddCommand(a.policyGetCommand(), a.policySetCommand())
	return cmd
}

func (a *app) policyGetCommand() *cobra.Command {
	var defaults bool
	cmd := &cobra.Command{
		Use:   "get",
		Short: "Show the policy of --tenant, or the database-wide default",
		Example: `  serviceaccounts --tenant acme policy get
  serviceaccounts policy get --defaults -o json`,
		Args: args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			mgr, err := a.manager(ctx)
			if err != nil {
				return err
			}
			var p serviceaccount.TenantPolicy
			stored := true
			if defaults {
				p, err = mgr.DefaultPolicy(ctx)
			} else {
				p, stored, err = mgr.EffectivePolicy(ctx)
			}
			if err != nil {
				return err
			}
			return a.printPolicy(p, stored, defaults)
		}),
	}
	cmd.Flags().BoolVar(&defaults, "defaults", false, "the database-wide default, which every tenant without its own policy uses")
	return cmd
}

func (a *app) policySetCommand() *cobra.Command {
	var (
		defaults                               bool
		maxKeys, unusedDays                    int
		maxLifetime, defaultLifetime, maxGrace time.Duration
		leakedAction                           string
	)
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Store the policy of --tenant, or the database-wide default",
		Long: `Store a key policy, audited as policy.update. The four limits are required
(0 means none: no key limit, no lifetime limit, no default lifetime, no
rotation grace). Every server instance enforces it from the next key it
issues (within the change feed's bounds).`,
		Example: `  serviceaccounts --tenant acme policy set --max-keys-per-account 3 \
      --max-key-lifetime 2160h --default-key-lifetime 720h --max-rotation-grace 24h
  serviceaccounts policy set --defaults --max-keys-per-account 0 --max-key-lifetime 0 \
      --default-key-lifetime 0 --max-rotation-grace 0`,
		Args: args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			// Checked before the database is opened: a refused policy
			// writes nothing.
			var missing []serviceaccount.FieldError
			for _, name := range []string{"max-keys-per-account", "max-key-lifetime", "default-key-lifetime", "max-rotation-grace"} {
				if !cmd.Flags().Changed(name) {
					missing = append(missing, serviceaccount.FieldError{Field: name, Message: "is required (0 means none)"})
				}
			}
			if len(missing) > 0 {
				return invalidInput(missing)
			}
			in := serviceaccount.TenantPolicy{
				MaxKeysPerAccount:  maxKeys,
				MaxKeyLifetime:     maxLifetime,
				DefaultKeyLifetime: defaultLifetime,
				MaxRotationGrace:   maxGrace,
				LeakedKeyAction:    leakedAction,
				UnusedKeyDays:      unusedDays,
			}
			mgr, err := a.manager(ctx)
			if err != nil {
				return err
			}
			var p serviceaccount.TenantPolicy
			if defaults {
				p, err = mgr.SetDefaultPolicy(ctx, in)
			} else {
				p, err = mgr.SetPolicy(ctx, in)
			}
			if err != nil {
				return err
			}
			return a.printPolicy(p, true, defaults)
		}),
	}
	f := cmd.Flags()
	f.BoolVar(&defaults, "defaults", false, "set the database-wide default, which every tenant without its own policy uses")
	f.IntVar(&maxKeys, "max-keys-per-account", 0, "most unexpired keys an account may hold (0: no limit)")
	f.DurationVar(&maxLifetime, "max-key-lifetime", 0, "longest a new key may live, such as 2160h (0: no limit)")
	f.DurationVar(&defaultLifetime, "default-key-lifetime", 0, "lifetime of a key created without an expiry (0: never expires)")
	f.DurationVar(&maxGrace, "max-rotation-grace", 0, "longest grace period a rotation may give the old key (0: none)")
	f.StringVar(&leakedAction, "leaked-key-action", string(serviceaccount.LeakedKeyDisable), "what a leak report does to the key: disable or delete")
	f.IntVar(&unusedDays, "unused-key-days", serviceaccount.DefaultUnusedKeyDays, "days without use after which a key is reported unused (0: never)")
	return cmd
}

// printPolicy prints p as the admin API's GET /policy does (stored says
// whether it is the tenant's own); the default policy has no "stored".
func (a *app) printPolicy(p serviceaccount.TenantPolicy, stored, defaults bool) error {
	if a.output == formatJSON {
		if defaults {
			return a.printJSON(apijson.NewTenantPolicy(p))
		}
		return a.printJSON(apijson.NewStoredPolicy(p, stored))
	}
	source := "tenant " + a.tenant
	switch {
	case defaults:
		source = "database-wide default"
	case !stored:
		source = "database-wide default (tenant " + a.tenant + " has none of its own)"
	}
	none := func(d time.Duration, zero string) string {
		if d == 0 {
			return zero
		}
		return d.String()
	}
	keys := "no limit"
	if p.MaxKeysPerAccount > 0 {
		keys = strconv.Itoa(p.MaxKeysPerAccount)
	}
	unused := "never"
	if p.UnusedKeyDays > 0 {
		unused = strconv.Itoa(p.UnusedKeyDays) + " days"
	}
	return a.fields(
		"Policy of", source,
		"Max keys per account", keys,
		"Max key lifetime", none(p.MaxKeyLifetime, "no limit"),
		"Default key lifetime", none(p.DefaultKeyLifetime, "never expires"),
		"Max rotation grace", none(p.MaxRotationGrace, "none"),
		"Leaked key action", p.LeakedKeyAction,
		"Unused key report", unused,
	)
}
