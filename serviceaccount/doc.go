// Package serviceaccount gives an application service accounts: identities
// for machine-to-machine integrations (data pipelines, API integrations,
// scheduled jobs, monitoring, CI/CD), each with API keys and permissions.
//
// # Manager
//
// Every change goes through a Manager: it validates input, generates ids and
// keys, stamps times from its clock, writes through a Store, and tells
// subscribers (the middleware's cache) what changed so that a revoked key
// stops working on the very next request. The plaintext of a key exists
// only in the result of CreateKey; the store keeps its SHA-256 hash.
//
// # Store
//
// Store is the persistence contract. It is declared here, next to the
// Manager that consumes it, because its methods speak of accounts, keys and
// permissions. Backends: store/memstore (in memory) and store/sqlstore
// (SQLite, PostgreSQL, MySQL/MariaDB through bun). store/storetest is the
// conformance suite every backend passes.
package serviceaccount
