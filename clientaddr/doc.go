// Package clientaddr says which client address an HTTP request comes
// from, for the decisions that count or allow by address: the admin
// throttle, the middleware's bound on unknown-key lookups, a key's allowed
// networks.
//
// The default, RemoteAddr, is the connection's peer. Behind a reverse
// proxy every request then seems to come from the proxy, so a
// TrustedProxies reader reads X-Forwarded-For, but only when the peer is
// one of the configured proxies. It walks the list from the right (the
// entry the nearest proxy appended) and skips only addresses inside the
// trusted ranges: the first address outside them is the client. The
// leftmost value is never trusted for itself, since any client can send an
// X-Forwarded-For header of its choice, which a proxy extends rather than
// replaces.
//
// An address that cannot be known (an unparseable X-Forwarded-For entry, a
// RemoteAddr that is not host:port) is the zero netip.Addr, which is not
// valid, lies in no network and so outside every allowlist: callers fail
// closed on it.
//
// The Forwarded header (RFC 7239) is not read: proxies that can send it
// can send X-Forwarded-For too, and reading two lists that may disagree
// would give a client two chances.
package clientaddr
