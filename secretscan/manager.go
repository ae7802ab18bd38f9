package secretscan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// ManagerConfig configures the Decider of NewManagerDecider.
type ManagerConfig struct {
	// Manager holds the keys. Required. Any tenant view will do: a report
	// acts in the reported key's own tenant.
	Manager *serviceaccount.Manager
	// Action overrides every tenant's policy for leaked keys (disable or
	// delete); "" follows the key's tenant's policy.
	Action serviceaccount.LeakedKeyAction
	// Logger records each key a report disabled or deleted, by id
	// (default: slog.Default()).
	Logger *slog.Logger
}

// NewManagerDecider returns the Decider that answers reports from a
// Manager's keys: each reported token goes to Manager.ReportLeakedKey
// with the report's url and source, which disables (or deletes) the key
// in its own tenant and writes audit event key.leaked, in one unit of
// work, before the report is answered. A key already disabled is a true
// positive and changes nothing. The audit event's actor is the context's
// (serviceaccount.WithActor, for example the request's address under
// serviceaccount.SecretScanningActorID), else SecretScanningActorID.
func NewManagerDecider(cfg ManagerConfig) (Decider, error) {
	if cfg.Manager == nil {
		return nil, errors.New("secretscan: ManagerConfig.Manager is required")
	}
	if cfg.Action != "" && !cfg.Action.Valid() {
		return nil, fmt.Errorf("secretscan: ManagerConfig.Action %.40q: must be %q, %q or empty (the tenant's policy)",
			cfg.Action, serviceaccount.LeakedKeyDisable, serviceaccount.LeakedKeyDelete)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	m, action := cfg.Manager, cfg.Action
	return func(ctx context.Context, token string, r Report) (bool, error) {
		out, err := m.ReportLeakedKey(ctx, token, serviceaccount.LeakReport{URL: r.URL, Source: r.Source, Action: action})
		if err != nil {
			return false, err
		}
		if out.Taken != "" {
			log.WarnContext(ctx, "secret scanning: leaked key "+string(out.Taken)+"d", "tenant", out.Tenant,
				"service_account_id", out.AccountID, "key_id", out.KeyID, "report", r)
		}
		return out.TruePositive, nil
	}, nil
}
