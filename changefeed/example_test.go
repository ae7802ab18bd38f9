package changefeed_test

import (
	"context"
	"log"

	"github.com/seed-c7fc2061/serviceaccounts/changefeed"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// An instance of an application that shares its database with others: the
// feed tells the middleware's cache what the other instances changed.
func Example() {
	ctx := context.Background()
	// The database every instance shares: in an application a
	// *sqlstore.Store, as sqlstore.New(db) returns for
	// sqlstore.OpenDB(ctx, "postgres://app@db.internal:5432/app") with
	// store/sqlstore/postgres imported. (memstore here, so that this
	// module's tests import no driver.)
	var st store.Store = memstore.New()
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: st})
	if err != nil {
		log.Fatal(err)
	}
	// PollOnly: true behind PgBouncer in transaction mode.
	feed, err := changefeed.New(changefeed.Config{Store: st, Clock: mgr.Clock()})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := middleware.New(middleware.Config{Manager: mgr, Feed: feed})
	if err != nil {
		log.Fatal(err)
	}
	feed.Start()
	defer feed.Close()
	defer mw.Close(ctx)
	// … serve with mw.Authenticate …
}
