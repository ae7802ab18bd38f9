package serviceaccount_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// An application that e-mails the owners of expiring keys itself sets
// Config.OnNotice; webhooks subscribed to key.expiring or key.unused get
// the same notices. In production, run RunNoticeScanner in every instance
// instead of calling ScanNotices.
func ExampleManager_ScanNotices() {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	m, err := serviceaccount.NewManager(serviceaccount.Config{
		Store: memstore.New(),
		Clock: clock,
		OnNotice: func(_ context.Context, n serviceaccount.Notice) {
			// Called after the notice's transaction commits, once.
			fmt.Printf("%s: key expires within %d days\n", n.Type, n.WithinDays)
		},
	})
	if err != nil {
		panic(err)
	}
	a, err := m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "Nightly export"})
	if err != nil {
		panic(err)
	}
	expires := clock.Now().AddDate(0, 0, 10)
	if _, err := m.CreateKey(ctx, a.ID, serviceaccount.CreateKeyInput{Name: "warehouse", ExpiresAt: &expires}); err != nil {
		panic(err)
	}
	for range 2 { // the second scan finds the notice already sent
		sent, err := m.ScanNotices(ctx)
		if err != nil {
			panic(err)
		}
		fmt.Println("sent", sent)
	}
	clock.Advance(4 * 24 * time.Hour) // 6 days left
	if _, err := m.ScanNotices(ctx); err != nil {
		panic(err)
	}
	// Output:
	// key.expiring: key expires within 14 days
	// sent 1
	// sent 0
	// key.expiring: key expires within 7 days
}
