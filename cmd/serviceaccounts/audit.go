package main

import (
	"context"
	"errors"
	"os"
	"os/user"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/internal/apijson"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

func (a *app) auditCommand() *cobra.Command {
	return groupCommand(&cobra.Command{
		Use:   "audit",
		Short: "Read the audit log of changes",
		Long: `Read the audit log: one event for every change made through the library,
by the management API, the admin page or this tool (whose changes record the
actor cli:USER, with the host name as the address).`,
		Example: `  serviceaccounts audit list --account "$ACCOUNT"
  serviceaccounts audit list --actor cli:deploy --since 2026-11-01T00:00:00Z -o json`,
	}, a.auditListCommand())
}

func (a *app) auditListCommand() *cobra.Command {
	var p serviceaccount.ListAuditEventsParams
	var account, action, since, until string
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--account ID] [--action ACTION] [--actor ID] [--since TIME] [--until TIME]",
		Short: "List audit events, newest first",
		Long: `List audit events, newest first, one page of --limit at a time (--all for
every page). Every filter is optional; together they must all hold. Times are
RFC 3339. The details say what changed, before and after; never a key.`,
		Example: `  serviceaccounts audit list
  serviceaccounts audit list --account "$ACCOUNT" --action key.create
  serviceaccounts audit list --actor cli:deploy --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z -o json
  serviceaccounts audit list --all -o json`,
		Args: args(),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			if err := checkLimit(p.Limit); err != nil {
				return err
			}
			var fields []serviceaccount.FieldError
			if cmd.Flags().Changed("account") {
				// Given, it must name an account: "" or the nil UUID
				// would otherwise mean "every account".
				id, err := serviceaccount.ParseIDFilter("serviceAccountId", account)
				if verr := (*serviceaccount.ValidationError)(nil); errors.As(err, &verr) {
					fields = append(fields, verr.Fields...)
				}
				p.ServiceAccountID = id
			}
			p.Action = serviceaccount.AuditAction(action)
			if action != "" && !p.Action.Valid() {
				// Checked here too, so that one message lists every bad flag.
				fields = append(fields, serviceaccount.FieldError{Field: "action", Message: "must be one of " + store.AuditActionNames()})
			}
			for _, t := range []struct {
				field, value string
				dst          **time.Time
			}{{"since", since, &p.Since}, {"until", until, &p.Until}} {
				if t.value == "" {
					continue
				}
				v, err := time.Parse(time.RFC3339, t.value)
				if err != nil {
					fields = append(fields, serviceaccount.FieldError{Field: t.field, Message: "must be an RFC 3339 time such as 2026-11-01T00:00:00Z"})
					continue
				}
				*t.dst = &v
			}
			if len(fields) > 0 {
				return invalidInput(fields)
			}
			mgr, err := a.backend(ctx)
			if err != nil {
				return err
			}
			page, err := mgr.ListAuditEvents(ctx, p)
			for all && err == nil && page.NextCursor != "" {
				next := p
				next.Cursor = page.NextCursor
				var more serviceaccount.AuditEventPage
				more, err = mgr.ListAuditEvents(ctx, next)
				page = serviceaccount.AuditEventPage{Items: append(page.Items, more.Items...), NextCursor: more.NextCursor}
			}
			if err != nil {
				return err
			}
			switch a.output {
			case formatJSON:
				return a.printJSON(apijson.NewAuditPage(a.tenant, page))
			case formatPlain:
				return printIDs(a, page.Items, func(e serviceaccount.AuditEvent) uuid.UUID { return e.ID })
			}
			t := a.newTable("OCCURRED", "ACTION", "ACCOUNT", "TARGET", "ACTOR", "DETAILS")
			for _, e := range page.Items {
				target, actor := "-", "-"
				if e.TargetID != nil {
					target = e.TargetID.String()
				}
				if e.Actor != nil {
					actor = e.Actor.ID
				}
				t.row(timeCell(e.OccurredAt), string(e.Action), e.ServiceAccountID.String(), target, actor, truncate(string(e.Details), 80))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if page.NextCursor != "" {
				cmd.PrintErrf("More events follow: run again with --cursor %s, or use --all.\n", page.NextCursor)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&account, "account", "", "only events of this service account id")
	f.StringVar(&action, "action", "", "only events of this action, such as key.create")
	f.StringVar(&p.ActorID, "actor", "", "only events by this actor id, such as cli:deploy or admin-token")
	f.StringVar(&since, "since", "", "only events at or after this RFC 3339 time")
	f.StringVar(&until, "until", "", "only events before this RFC 3339 time")
	f.IntVar(&p.Limit, "limit", serviceaccount.DefaultPageSize, "events per page, 1 to 200")
	f.StringVar(&p.Cursor, "cursor", "", "start after the page that printed this cursor")
	f.BoolVar(&all, "all", false, "print every page")
	_ = cmd.RegisterFlagCompletionFunc("action", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, act := range store.AuditActions() {
			out = append(out, string(act))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("account", a.completeIDs(completeAccount))
	return cmd
}

// cliActor is who the audit log records for a change made with this tool:
// "cli:" and the operating-system user, from this host. The library does
// not authenticate it; whoever can reach the database can change it anyway.
func cliActor() serviceaccount.Actor {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	id := "cli"
	if name != "" {
		id += ":" + name
	}
	host, _ := os.Hostname()
	return serviceaccount.Actor{
		ID:        serviceaccount.FitActorText(id, store.MaxActorIDLength),
		Address:   serviceaccount.FitActorText(host, store.MaxActorAddressLength),
		UserAgent: "serviceaccounts-cli",
	}
}
