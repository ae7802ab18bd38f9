// Package changefeed tells every instance sharing a database which
// service accounts changed, so that their caches drop what they hold of
// them within a second (within milliseconds on PostgreSQL), whatever the
// cache TTL.
//
// Every change made through a serviceaccount.Manager appends a row naming
// its account to the store's change log, in the change's own transaction.
// A Feed reads the log after the last change it delivered (one indexed
// range read per PollInterval, whatever the number of keys) and tells its
// subscribers, such as the middleware (middleware.Config.Feed), which
// accounts changed.
//
//	feed, err := changefeed.New(changefeed.Config{Store: st, Clock: mgr.Clock()})
//	...
//	mw, err := middleware.New(middleware.Config{Manager: mgr, Feed: feed})
//	...
//	feed.Start()
//	defer feed.Close()
//
// # Why nothing is missed
//
// Change ids are taken from one head row that each writing transaction
// increments, and that it holds locked until it ends: ids are taken in
// commit order and a rollback leaves no gap. (Ids from a sequence or
// AUTO_INCREMENT are taken before commit: a transaction holding id 7
// could commit after one holding id 8 was read, and a reader at 8 would
// skip 7 for ever.) The cost is that the ends of concurrent changes queue
// on that row, for one statement and the commit: a few hundred
// administrative changes a second fit.
//
// A Feed advances its position over consecutive ids only. An id missing
// below the head was either pruned before the Feed read it, or is
// committed but not yet visible: on MySQL/MariaDB the next change can
// take the following id and become visible a moment before the previous
// one does (InnoDB releases locks slightly before a commit is visible to
// plain reads; the tests caught it under load). So the Feed delivers what
// lies beyond the gap at once, reads again 100 ms later, and only if the
// id is still missing takes it as pruned and tells its subscribers
// AllChanged. It also does so when it starts (the cache may hold entries
// older than its position) and when it finds the head behind its position
// (a restored database).
//
// # PostgreSQL
//
// ChangeRecord also sends pg_notify on a channel named after the change
// table (table prefix included), delivered at commit. Unless PollOnly is
// set, the Feed LISTENs on a connection it takes from the store's pool
// for as long as it runs, and polls as soon as a notification names a
// change it has not read. The notification is only a hint: after every
// (re)connection the Feed polls, to catch up with what it could not hear,
// and the timer keeps polling all along. A connection that breaks after
// listening is replaced at once; one that cannot be made is retried with
// a growing, jittered pause (100 ms to 30 s). Behind PgBouncer in
// transaction mode a listening session cannot be kept: set PollOnly.
//
// # Retention
//
// Every Feed deletes rows older than Retention (default 10 minutes), in
// batches, at a jittered moment about ten times per window. Pruners skip
// rows another one holds (SKIP LOCKED on PostgreSQL and MySQL), so twenty
// instances pruning never wait for one another. An instance whose polling
// stopped for longer than the window drops its whole cache when it
// resumes.
//
// # Failures
//
// A failed poll, listen or prune is counted (Stats, Observer, and the
// metrics on Config.MeterProvider), logged at most once per 10 s per kind
// with the number left out, and retried: the
// next poll at the next tick. Never fatal: meanwhile the caches' TTL
// bounds how long a change made elsewhere can go unseen.
package changefeed
