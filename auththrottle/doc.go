// Package auththrottle slows down guessing of an authentication secret
// (an admin token, a password) from one client: after MaxFailures failed
// attempts within Window, every further attempt from that client is
// refused, a correct secret included, so that a guesser cannot tell a hit,
// until the oldest of those failures is Window old. Other clients are
// unaffected. The admin API's bearer check (admin.NewBearerAuth) and the
// example server's page login each use one.
//
// # One client
//
// A client is what a clientaddr.Func says the request comes from: an IPv4
// address, or an IPv6 address's /64 (a host commonly holds a whole /64).
// Every request whose address cannot be known (an unparseable
// X-Forwarded-For entry) counts as one client, so such requests fail
// closed together. Behind a reverse proxy, configure the proxies as
// trusted (clientaddr.TrustedProxies), or every client is the proxy and
// one guesser locks everybody out for the window.
//
// # What counts
//
// Only wrong credentials count as failures; a request without any is not
// an attempt. Attempts in flight count too, so that a burst of concurrent
// guesses cannot all pass the check before the first failure is recorded.
//
// # Bounded memory
//
// The table holds at most MaxClients clients. When it is full, a new
// client evicts the one that attempted least recently, so a spray of
// addresses costs a fixed amount of memory; forgetting a quiet client's
// failures is the price, and freeing one's own entry that way costs a
// guesser MaxClients failed guesses from other addresses.
package auththrottle
