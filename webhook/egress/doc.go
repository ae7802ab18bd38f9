// Package egress guards the HTTP requests that webhook deliveries make to
// addresses that tenants choose, against server-side request forgery.
//
// A webhook URL is checked twice. When the webhook is created,
// [ParseURL] refuses a malformed URL (naming the problem) and
// [Client.CheckURL] resolves its host and refuses it if any address falls
// in a refused range. At every delivery the [Client]'s dialer checks, in its
// Control hook, the address it is about to connect to: after DNS
// resolution, so a name that later resolves elsewhere (DNS rebinding) is
// still refused, and for every address tried.
//
// # Refused ranges
//
// Exactly these, unless [Config.AllowPrivate] is set: loopback
// (127.0.0.0/8, ::1), private (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16,
// fc00::/7), link-local (169.254.0.0/16 with the cloud metadata address
// 169.254.169.254, fe80::/10), carrier-grade NAT (100.64.0.0/10) and
// unspecified (0.0.0.0/8, ::), each also in its IPv4-mapped IPv6 form
// (::ffff:127.0.0.1). 0.0.0.0/8 is taken whole because connecting to
// 0.0.0.0 reaches the local host and no public service lives in that block.
//
// # Bounds
//
// A delivery does not follow redirects (the 3xx answer is the result, as
// the Standard Webhooks specification recommends), takes at most 10
// seconds in all, reads at most 64 KiB of the answer, and uses no proxy
// from the environment (a proxy would make the dialer check the proxy's
// address instead of the receiver's). Errors name the URL's scheme and
// host only: receivers often put a token in the path or the query.
package egress
