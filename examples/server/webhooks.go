package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/delivery"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
)

// webhookClient is the client that checks webhook URLs and sends the
// deliveries: it refuses loopback, private, link-local and CGNAT
// addresses unless -webhooks-allow-private is set.
func webhookClient(cfg config) (*egress.Client, error) {
	return egress.NewClient(egress.Config{AllowPrivate: cfg.webhooksAllowPrivate})
}

// startSender runs the webhook sender of this instance: every instance
// runs one, and the outbox's claims make each delivery go out once. stop
// ends it and waits for the sends in flight to be recorded (each is
// bounded by the client's 10 s timeout), so call it before the store
// closes.
func startSender(st store.Store, mgr *serviceaccount.Manager, log *slog.Logger) (stop func(), err error) {
	s, err := delivery.New(delivery.Config{Store: st, Client: mgr.WebhookClient(), Logger: log, Wake: mgr.OutboxSignal()})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(ctx) // ends with ctx's error
	}()
	return func() { cancel(); <-done }, nil
}

// startNoticeScanner runs this instance's notice scanner (see
// serviceaccount.Manager.RunNoticeScanner); stop ends it and waits for
// the scan in progress.
func startNoticeScanner(mgr *serviceaccount.Manager, interval time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		mgr.RunNoticeScanner(ctx, interval, func(err error) { log.Error("notice scan failed", "error", err) })
	}()
	return func() { cancel(); <-done }
}
