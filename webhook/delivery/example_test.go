package delivery_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/delivery"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
	"github.com/seed-c7fc2061/serviceaccounts/webhook/signature"
)

// A Manager writes a delivery with every change a webhook listens to; a
// Sender (one per process; Run in production, SendDue here) sends it,
// signed, and the receiver verifies it with the secret shown at creation.
func Example() {
	ctx := context.Background()
	var secret signature.Secret
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, _ := signature.NewVerifier(signature.VerifierConfig{Secrets: []signature.Secret{secret}})
		fmt.Println("verified:", v.Verify(r.Header, body) == nil)
	}))
	defer receiver.Close()

	st := memstore.New()
	// Allowed here because the receiver is on 127.0.0.1; production
	// leaves private addresses refused.
	client, _ := egress.NewClient(egress.Config{AllowPrivate: true})
	mgr, _ := serviceaccount.NewManager(serviceaccount.Config{Store: st, WebhookClient: client})
	hook, err := mgr.CreateWebhook(ctx, serviceaccount.WebhookInput{URL: receiver.URL, Events: []string{"account.create"}})
	if err != nil {
		panic(err)
	}
	secret, _ = signature.ParseSecret(hook.Secret)

	sender, _ := delivery.New(delivery.Config{Store: st, Client: mgr.WebhookClient(), Wake: mgr.OutboxSignal()})
	_, _ = mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "nightly export"})
	n, _ := sender.SendDue(ctx)
	page, _ := mgr.ListDeliveries(ctx, hook.ID, serviceaccount.PageParams{})
	fmt.Println("sent:", n, page.Items[0].EventType, page.Items[0].State)
	// Output:
	// verified: true
	// sent: 1 account.create delivered
}
