// Package middleware authenticates service-account API keys and authorizes
// requests with their permissions, for any net/http server.
//
//	mw, err := middleware.New(middleware.Config{Manager: mgr})
//	...
//	mux := http.NewServeMux()
//	mux.Handle("GET /v1/studies/{studyKey}/responses",
//		mw.Require("study", middleware.PathValue("studyKey"), "get-responses",
//			middleware.Attr("surveyKey", middleware.Query("surveyKey")))(responses))
//	srv := &http.Server{Addr: addr, Handler: mw.Authenticate(mux)}
//	go srv.ListenAndServe()
//	<-ctx.Done()
//	srv.Shutdown(shutdownCtx) // first: every request served has recorded its use
//	mw.Close(shutdownCtx)     // then: writes the last uses still in memory
//
// Not "defer mw.Close(ctx)" before "log.Fatal(http.ListenAndServe(…))":
// log.Fatal exits without running deferred calls, and up to one flush
// interval of last uses would be lost at every restart. The README's
// "Embedding it in your own server" has the whole program.
//
// # Flow
//
// [Middleware.Authenticate] takes the key from "Authorization: Bearer
// <key>" or "X-API-Key: <key>" (a request carrying both must carry the same
// key in each, and neither header may be repeated), checks its length and prefix before hashing it (so junk of
// any size costs a comparison), hashes it, finds it (cache first), checks
// the rest of its format (alphabet, checksum) on a cache miss before any
// store work, checks its expiry, records the use and puts the [Principal]
// in the request context, where handlers find it with [FromContext].
//
// [Middleware.Require] (or the package-level [Require], which cannot check
// the route against the Manager's catalog) then checks one permission: a resource type and action written
// in the route, and a resource key and limiter attributes taken from the
// request as [Source] values say: [Fixed], [PathValue], [Query], [Header]
// or [JSONBody]. A value that is absent or empty is missing: a missing
// resource key denies the request; a missing attribute fails every limiter
// item that tests it (see package limiter), so it denies too unless another
// permission grants the request. Require takes the error handler from
// Authenticate, so it is configured once; a request that reaches Require
// without Authenticate is answered 500 and logged, never let through.
//
// A route that reads the resource key or an attribute from the body with
// [JSONBody] refuses, with 400 and [ErrAmbiguousBody], a body in which any
// object holds two keys equal ignoring case, such as
// {"reportKey":"r1","reportKey":"secret"} or
// {"reportKey":"r1","REPORTKEY":"secret"}: gjson, which reads the
// attribute, takes the first, while encoding/json, with which the handler
// probably decodes the same body, takes the last and ignores case, so the
// permission would be checked on one value and the handler act on another.
// The check covers the whole document, not only the keys the route reads.
//
// The same rule holds for every source: the middleware never decides on a
// value the handler could read differently. A route reading a [Query]
// refuses, with 400 and [ErrMalformedQuery], a query that url.ParseQuery
// would not parse whole (more than 10 000 parameters, a semicolon, a bad
// percent escape), since r.URL.Query() would drop what the limiter read:
// surveyKey=intake followed by 10 000 "&x" used to pass the limiter while
// the handler saw no survey at all. A route reading a [Header] refuses a
// repeated header ([ErrAmbiguousHeader]).
//
// # Other routers
//
// [PathValue] reads r.PathValue, which net/http's ServeMux and chi (v5.0.12
// and later) fill. Routers that keep their variables elsewhere (gorilla/mux,
// gin, echo) leave it empty, and an empty resource key denies: every
// request of such a route would be 403. Config.PathValue reads the
// router's variables instead, for example
//
//	PathValue: func(r *http.Request, name string) string { return mux.Vars(r)[name] }
//
// for gorilla/mux. Without it the 403 stands (closed, never open), and the
// first such denial is logged as a warning that names Config.PathValue.
//
// # Outside HTTP
//
// [Middleware.Verify] checks a key presented some other way (a gRPC
// interceptor, a queue consumer) with the code Authenticate runs: the same
// cache (a key verified one way is warm for the other), the same expiry
// checks, last-use record and metrics, and the same errors
// (errors.Is(err, [ErrUnknownKey]) and so on; [StatusOf] and [CodeOf] map
// them). [Middleware.VerifyFrom] also names the caller's address, by
// which Config.UnknownKeyLimit counts unknown keys; Verify's callers are
// counted as one client. [Middleware.Authorize] then checks a permission
// as a route does, from values the caller passes, and returns a
// [*ForbiddenError] when it is missing. ExampleMiddleware_Verify is a
// gRPC-style unary interceptor.
//
// # Statuses
//
//	401  no_credentials, malformed_key, unknown_key (never issued or
//	     deleted), expired_key, disabled_key, disabled_account (with
//	     WWW-Authenticate: Bearer, and error="invalid_token" when a key
//	     was presented)
//	400  ambiguous_credentials: a repeated Authorization or X-API-Key
//	     header, or both with different keys
//	403  forbidden: authenticated, but no permission grants the request;
//	     the detail names the permission, and says when a limiter refused it
//	400  invalid_tenant: Config.TenantFrom read a malformed tenant id
//	403  wrong_tenant: the request names another tenant than the key's
//	     (checked right after authentication, before any permission)
//	403  ip_not_allowed: the key has allowed networks and the client
//	     address (Config.ClientAddr) is in none of them
//	403  outside_key_scope: the account allows the request, the key's
//	     scopes do not
//	429  rate_limited: the key's rate limit is used up (with Retry-After,
//	     RateLimit-Policy and RateLimit); see Config.RateLimiter
//	413  body_too_large: Require read a JSON body longer than
//	     Config.MaxBodyBytes
//	400  unreadable_body: Require could not read the body; ambiguous_body:
//	     the JSON body repeats a key in one object (ignoring case);
//	     malformed_query and ambiguous_header (see above)
//	429  too_many_attempts: Config.UnknownKeyLimit is set and the client
//	     has used it up on a key that is not cached (with Retry-After)
//	503  unavailable: the store failed (authentication fails closed, never
//	     200, never 401), or Close has begun
//	500  internal: Require without Authenticate
//
// Each answer is an application/problem+json body (RFC 9457) with a
// stable, machine-readable "code" member (the words above; [CodeOf] gives
// it for an error, and each has a sentinel for errors.Is) and the "type"
// [ProblemTypePrefix] + code (urn:serviceaccounts:problem:unknown_key), and with
// X-Content-Type-Options: nosniff, written by [WriteProblem], unless
// Config.ErrorHandler writes its own; it receives the errors of this
// package ([ErrUnknownKey], [*ForbiddenError], [ErrStoreUnavailable]
// wrapping the store error…), which [StatusOf] maps to the statuses above.
// No response, error or log line contains a key or a hash, and none quotes
// a value from a body (a repeated JSON key is named, shortened).
//
// # Cache
//
// Lookups are cached, found or not found, in an otter cache bounded to
// Config.CacheSize entries (its eviction policy keeps frequently used keys
// when junk keys stream through), for Config.CacheTTL (10 s by default).
// Concurrent misses for one key make one store lookup. A store error is
// never cached.
//
// A hit costs no SHA-256: the cache finds an entry by a per-process seeded
// hash (hash/maphash) of the presented key, and a found key's entry holds
// the key itself, which confirms the hit by a constant-time comparison.
// SHA-256 runs on a miss only, to ask the store, which holds only hashes.
// Because the process then holds keys, an entry leaves memory and drops its
// key when its TTL passes (a sweeper on the Manager's clock runs every
// quarter of the TTL, at most a second apart), at once when a change
// outdates it, when the size bound evicts it, and on Close; the key's type
// prints "[REDACTED]" in every form. A not-found entry holds no key, only
// its seeded hash, so the cache never keeps the text of keys nobody
// issued. Every cached refusal (unknown, deleted, expired, disabled) does
// the same work: one seeded hash, one lookup, one constant-time comparison
// over the key's length.
//
// [Middleware.Protect] serves a route with Authenticate and Require in one
// handler and hands the principal to it as an argument, without copying
// the request: the fastest path, with no allocation on a warm key.
//
// A change made through the Manager the middleware was built with (a key,
// account or permission deleted, a permission added, a limiter changed, an
// account renamed, a key created) takes effect on the very next request:
// the middleware subscribes to the Manager, and a change outdates the
// entries of its account (and the negative entries, since a change may
// create a key), not the others: one busy account does not empty every
// cache. Accounts are spread over 4,096 invalidation stripes, each an
// atomic counter: a hit costs two atomic loads, allocates nothing and
// needs no index from accounts to cached keys; a change also outdates
// the entries of the accounts that share its stripe, which costs them one
// lookup. A lookup that raced with a change to its account is never
// served to a request that started after the change returned.
//
// A change made elsewhere (another instance on the same database) reaches
// the cache through Config.Feed, a changefeed.Feed following the store's
// change log: within the Feed's poll interval (900 ms by default), at once on
// PostgreSQL. Without a Feed, or while the Feed fails, it is seen once the
// entry is older than the TTL: the TTL bounds that staleness, counted from
// before the lookup that read the data, and measured on the monotonic
// clock, so that setting the wall clock back does not prolong it.
//
// Expiry is checked on every request, cached or not, with the Manager's
// clock, which also ages the cache, so tests can drive both with a fake
// clock.
//
// # Unknown keys
//
// A key that fails its checksum never reaches the store, but a well-formed
// key with a valid checksum that the cache does not hold costs one store
// lookup, so a client sending random valid-looking keys makes the store
// answer once per request. That is allowed by default: memory stays
// bounded, and a limit per client is only as good as the client address
// it counts by. Config.UnknownKeyLimit is the opt-in bound: a GCRA budget
// of Lookups per Period for each client (Config.ClientAddr: the
// connection's address by default, clientaddr.TrustedProxies behind a
// proxy; IPv6 counted per /64), in a table of at most MaxClients clients
// (the one that missed least recently is forgotten first). Every cache
// miss reserves a lookup before the store is asked, and gets it back when
// the key exists, so only unknown keys are charged and concurrent misses
// cannot overrun it. A client over its budget gets 429 too_many_attempts
// with Retry-After, without a store lookup, for every key that is not in
// the cache, its own valid key included when that has left the cache.
// A key found in the cache never consults the bound: the warm path is
// unchanged.
//
// # Last use
//
// A request records its key's use in memory (atomics on the cached entry);
// nothing is written on the request's path. Every Config.FlushInterval (one
// minute by default) the uses recorded since the previous flush are written
// in one batch, one Manager.TouchKeys call: at most one write per key per
// interval, with the latest time, which never moves backwards. A failed
// flush keeps its batch for the next interval, merged with newer uses; it
// is not retried sooner. [Middleware.Close] writes what remains; once it has
// begun, Authenticate answers every request 503 ([ErrClosed]). Requests
// with rejected keys (unknown, expired, deleted) record nothing. The stored
// last use therefore lags real use by up to one interval.
//
// # Metrics
//
// The middleware records OpenTelemetry metrics through the metric API on
// Config.MeterProvider (default: the global provider, which records
// nothing until the application installs an SDK). The instrumentation
// scope is this package's import path. No attribute ever holds a key, a
// hash, an account, a label or a path: every attribute value comes from the
// fixed lists below.
//
//	serviceaccounts.authentications          counter {request}  code: ok, no_credentials, malformed_key,
//	                                                            ambiguous_credentials, unknown_key,
//	                                                            expired_key, disabled_key,
//	                                                            disabled_account, too_many_attempts,
//	                                                            unavailable, internal
//	serviceaccounts.authorizations           counter {request}  code: ok (allowed), forbidden (denied),
//	                                                            body_too_large, unreadable_body,
//	                                                            ambiguous_body, malformed_query,
//	                                                            ambiguous_header, invalid_tenant,
//	                                                            wrong_tenant, ip_not_allowed,
//	                                                            outside_key_scope, rate_limited,
//	                                                            unavailable, internal
//	serviceaccounts.cache.lookups            counter {lookup}   result: hit, negative_hit, miss
//	serviceaccounts.store.lookup.duration    histogram s        outcome: found, not_found, error
//	serviceaccounts.lastused.flushes         counter {batch}    batches of last uses written
//	serviceaccounts.lastused.keys            counter {key}      keys whose last use was written
//	serviceaccounts.lastused.flush.failures  counter {batch}    batches that failed, kept for the next interval
//
// The codes are those of the problem bodies ([CodeOf]); each is reported
// from the first collection on, at 0 until it happens, and so are the
// flush counters and the feed's counters (every operation of its
// failures), so that alerts on failure rates need no "or vector(0)". Through the
// OpenTelemetry Prometheus exporter the names become
// serviceaccounts_authentications_total,
// serviceaccounts_store_lookup_duration_seconds and so on.
//
// The change feed adds serviceaccounts.feed.changes (changes received from
// other instances), serviceaccounts.feed.lag (histogram, seconds from a
// change's commit elsewhere to its being applied here) and
// serviceaccounts.feed.failures (by operation: poll, listen, prune,
// other), on the MeterProvider of its own Config (changefeed.Config).
//
// Recording costs a request one atomic add in Authenticate and one in
// Require, and never a call into the SDK: the first three counters are
// asynchronous instruments whose totals are read when the SDK collects
// (each authentication increments one cell of a small table indexed by
// code and cache result, and the exported counters are sums over it). So
// installing an SDK does not slow requests down, and nothing is allocated
// per request for metrics. The lookup duration and the flushes are
// recorded synchronously, with precomputed attribute sets: they happen on
// a cache miss and once per flush interval. The counters stop being
// reported when Close returns.
package middleware
