package main

import (
	"log/slog"
	"net/http"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// secretScanningPath receives GitHub's secret-scanning reports: the URL
// to register with the partner program.
const secretScanningPath = "/secret-scanning"

// mountSecretScanning serves POST /secret-scanning when the server has
// keys to verify reports with (-secret-scanning-keys,
// -secret-scanning-keys-url); without, the route does not exist, since a
// report nobody can verify must change nothing. Each reported key is
// disabled in its own tenant before the answer, and the audit event names
// the actor secret-scanning with the sender's address and User-Agent.
func mountSecretScanning(mux *http.ServeMux, mgr *serviceaccount.Manager, cfg config, clock clockwork.Clock, log *slog.Logger) error {
	if cfg.secretScanningKeysFile == "" && cfg.secretScanningKeysURL == "" {
		return nil
	}
	var keys secretscan.KeySource = secretscan.StaticKeys(cfg.secretScanningKeys)
	if cfg.secretScanningKeysURL != "" {
		remote, err := secretscan.NewRemoteKeys(secretscan.RemoteKeysConfig{
			URL: cfg.secretScanningKeysURL, Clock: clock, Initial: cfg.secretScanningKeys, Logger: log,
		})
		if err != nil {
			return err
		}
		keys = remote
	}
	decide, err := secretscan.NewManagerDecider(secretscan.ManagerConfig{Manager: mgr, Logger: log})
	if err != nil {
		return err
	}
	h, err := secretscan.NewHandler(secretscan.HandlerConfig{Keys: keys, Decide: decide, Logger: log})
	if err != nil {
		return err
	}
	actor := admin.RequestActor(serviceaccount.SecretScanningActorID)
	mux.Handle("POST "+secretScanningPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := actor(r)
		h.ServeHTTP(w, r.WithContext(serviceaccount.WithActor(r.Context(), a)))
	}))
	return nil
}
