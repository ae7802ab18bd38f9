// Package ratelimit holds the rate limits of API keys: a [Limit] (so many
// requests per period), the [Decision] a limiter takes for one request, the
// [Limiter] interface that the in-process and the shared (Redis) limiters
// both implement, and [WriteHeaders], which turns a decision into the
// Retry-After and IETF httpapi RateLimit / RateLimit-Policy fields.
//
// # Algorithm
//
// Both limiters use GCRA, the generic cell rate algorithm (as redis_rate
// and throttled implement it): a budget keeps one number, its theoretical
// arrival time (TAT). Each request moves it one interval (the period
// divided by the limit) into the future, and a request is refused when that
// would put it more than a whole period ahead of now. The budget starts
// full, so exactly Count requests pass in a burst; after that one request
// passes per interval. A budget whose TAT is in the past is full again and
// carries no state, which is what keeps memory bounded.
//
// Intervals are whole microseconds, rounded up, so that the in-process
// limiter (nanoseconds) and the Redis script (microseconds, exact in a Lua
// double) agree to the unit; rounding up never lets more than Count
// requests through in a burst.
//
// # In process
//
// [Local] keeps budgets in a sharded table of at most a fixed number of
// keys, charges an already tracked key without allocating, and is safe for
// concurrent use. Its limits hold per process; the subpackage redisrate
// makes them hold across processes, and is a separate package so that
// nobody who does not use it links a Redis client.
package ratelimit
