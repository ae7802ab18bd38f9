// Package redisrate is a [ratelimit.Limiter] whose budgets live in Redis,
// so that a key's rate limit holds across every instance of a server.
//
// Each request costs one EVALSHA round trip to a GCRA script that reads
// the Redis server's clock (TIME), so instances with skewed clocks agree,
// and that stores one integer per key under "serviceaccounts:rl:" with a
// TTL that ends when the budget is full again, so Redis memory stays
// bounded by the keys used within their periods. For the same arrival
// times it takes the same decisions as [ratelimit.Local], to the
// microsecond.
//
// When Redis fails (unreachable, slow beyond Config.Timeout, or answering
// an error), the request is decided by an in-process fallback limiter and
// the failure is counted ([Limiter.Failures], Config.OnError); for a
// cooldown after it, requests go to the fallback without waiting for Redis
// ([Limiter.Fallbacks]). Limits then hold per instance until Redis answers
// again. A request whose own context
// ends is refused with the context's error instead, and is not counted.
//
// It is a package of its own so that only programs that use it link a
// Redis client.
//
// # Why not redis_rate
//
// github.com/go-redis/redis_rate/v10 (v10.0.1, April 2023, the newest
// release) installs and implements GCRA with a full budget at start, but
// it puts every key under its fixed "rate:" prefix, so ours could not live
// under "serviceaccounts:rl:", and it computes in floating-point seconds,
// where ours must agree to the microsecond with the in-process limiter.
// The script here is redis_rate's algorithm in integer microseconds.
package redisrate
