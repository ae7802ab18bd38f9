package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/metadata"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// restrictionFlags are a key's restrictions on the command line:
// --scope TYPE:KEY:ACTION and --allow-cidr CIDR (each repeatable),
// --rate-limit N/PERIOD and --metadata NAME=VALUE (repeatable; values
// are strings). With removal, keys update also takes --no-scopes,
// --no-allowed-cidrs, --no-rate-limit and --no-metadata.
type restrictionFlags struct {
	scopes, cidrs, meta []string
	rateLimit           string
	removal             bool
	noScopes, noCIDRs   bool
	noRateLimit, noMeta bool
}

func (r *restrictionFlags) register(cmd *cobra.Command, removal bool) {
	r.removal = removal
	f := cmd.Flags()
	f.StringArrayVar(&r.scopes, "scope", nil, "narrow the key to TYPE:KEY:ACTION (\"*\" as in permissions); repeatable")
	f.StringArrayVar(&r.cidrs, "allow-cidr", nil, "allow the key only from this CIDR or address; repeatable")
	f.StringVar(&r.rateLimit, "rate-limit", "", "at most N requests per PERIOD, as N/PERIOD (600/1m)")
	f.StringArrayVar(&r.meta, "metadata", nil, "the application's NAME=VALUE (a string) on the key; repeatable")
	if removal {
		f.BoolVar(&r.noScopes, "no-scopes", false, "remove the key's scopes")
		f.BoolVar(&r.noCIDRs, "no-allowed-cidrs", false, "remove the key's network allowlist")
		f.BoolVar(&r.noRateLimit, "no-rate-limit", false, "remove the key's rate limit")
		f.BoolVar(&r.noMeta, "no-metadata", false, "remove the key's metadata")
		cmd.MarkFlagsMutuallyExclusive("scope", "no-scopes")
		cmd.MarkFlagsMutuallyExclusive("allow-cidr", "no-allowed-cidrs")
		cmd.MarkFlagsMutuallyExclusive("rate-limit", "no-rate-limit")
		cmd.MarkFlagsMutuallyExclusive("metadata", "no-metadata")
	}
}

// patch is what the flags set, as a KeyPatch's restriction members: nil
// where no flag was given, a pointer to nil for a --no-… flag. The
// Manager validates the values; a malformed flag is reported here under
// the member's flag.
func (r *restrictionFlags) patch() (serviceaccount.KeyPatch, error) {
	var p serviceaccount.KeyPatch
	var errs []serviceaccount.FieldError
	switch {
	case len(r.scopes) > 0:
		scopes := make([]apikey.Scope, len(r.scopes))
		for i, s := range r.scopes {
			parts := strings.Split(s, ":")
			if len(parts) != 3 {
				errs = append(errs, serviceaccount.FieldError{Field: "scopes[" + strconv.Itoa(i) + "]", Message: "must be TYPE:KEY:ACTION, such as study:tekenradar:get-reports"})
				continue
			}
			scopes[i] = apikey.Scope{ResourceType: parts[0], ResourceKey: parts[1], Action: parts[2]}
		}
		p.Scopes = &scopes
	case r.noScopes:
		p.Scopes = new([]apikey.Scope)
	}
	switch {
	case len(r.cidrs) > 0:
		cidrs := append([]string(nil), r.cidrs...)
		p.AllowedCIDRs = &cidrs
	case r.noCIDRs:
		p.AllowedCIDRs = new([]string)
	}
	switch {
	case r.rateLimit != "":
		n, period, ok := strings.Cut(r.rateLimit, "/")
		limit, err1 := strconv.Atoi(n)
		d, err2 := time.ParseDuration(period)
		if !ok || err1 != nil || err2 != nil {
			errs = append(errs, serviceaccount.FieldError{Field: "rateLimit", Message: "must be N/PERIOD, such as 600/1m or 10/1s"})
			break
		}
		rl := &apikey.RateLimit{Limit: limit, Period: d}
		p.RateLimit = &rl
	case r.noRateLimit:
		p.RateLimit = new(*apikey.RateLimit)
	}
	switch {
	case len(r.meta) > 0:
		m, err := metadataFlags(r.meta)
		if err != nil {
			errs = append(errs, *err)
			break
		}
		p.Metadata = &m
	case r.noMeta:
		p.Metadata = new(metadata.Map)
	}
	if len(errs) > 0 {
		return serviceaccount.KeyPatch{}, invalidInput(errs)
	}
	return p, nil
}

func (a *app) keysUpdateCommand() *cobra.Command {
	var restrictions restrictionFlags
	var name string
	cmd := &cobra.Command{
		Use:   "update ACCOUNT_ID KEY_ID [--name NAME] [--scope TYPE:KEY:ACTION…] [--allow-cidr CIDR…] [--rate-limit N/PERIOD] [--metadata NAME=VALUE…]",
		Short: "Rename an API key or change its restrictions",
		Long: `Change the name or the restrictions of an API key. Each restriction given
replaces the key's whole (two --scope flags make a list of two); --no-scopes,
--no-allowed-cidrs, --no-rate-limit and --no-metadata remove one. What is not
given stays as it is.`,
		Example: `  serviceaccounts keys update "$ACCOUNT" "$KEY_ID" --scope study:tekenradar:get-reports --allow-cidr 10.0.0.0/8
  serviceaccounts keys update "$ACCOUNT" "$KEY_ID" --rate-limit 600/1m --metadata environment=staging
  serviceaccounts keys update "$ACCOUNT" "$KEY_ID" --no-allowed-cidrs`,
		Args:              args("ACCOUNT_ID", "KEY_ID"),
		ValidArgsFunction: a.completeIDs(completeAccount, completeKey),
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			patch, err := restrictions.patch()
			if err != nil {
				return &failure{err: err}
			}
			if cmd.Flags().Changed("name") {
				patch.Name = &name
			}
			return a.patchKey(ctx, args, patch)
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "the key's new name (\"\" removes it)")
	restrictions.register(cmd, true)
	return cmd
}

// deref is a patch member's value for a creation: nil for none.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// restrictionCells are the name/value lines of the restrictions k has;
// none for a key without any, so that its output is as before.
func restrictionCells(k apikey.Key) []string {
	var out []string
	if k.Scopes != nil {
		s := make([]string, len(k.Scopes))
		for i, sc := range k.Scopes {
			s[i] = sc.ResourceType + ":" + sc.ResourceKey + ":" + sc.Action
		}
		out = append(out, "Scopes", strings.Join(s, ", "))
	}
	if k.AllowedCIDRs != nil {
		s := make([]string, len(k.AllowedCIDRs))
		for i, p := range k.AllowedCIDRs {
			s[i] = p.String()
		}
		out = append(out, "Allowed CIDRs", strings.Join(s, ", "))
	}
	if k.RateLimit != nil {
		out = append(out, "Rate limit", strconv.Itoa(k.RateLimit.Limit)+"/"+k.RateLimit.Period.String())
	}
	if k.Metadata != nil {
		b, err := metadata.Encode(k.Metadata)
		if err == nil {
			out = append(out, "Metadata", string(b))
		}
	}
	return out
}

// metadataFlags reads repeated --metadata NAME=VALUE flags; the values
// are strings.
func metadataFlags(flags []string) (metadata.Map, *serviceaccount.FieldError) {
	m := metadata.Map{}
	for _, kv := range flags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, &serviceaccount.FieldError{Field: "metadata", Message: "must be NAME=VALUE, such as environment=staging"}
		}
		m[k] = v
	}
	return m, nil
}
