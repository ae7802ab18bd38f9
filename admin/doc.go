// Package admin serves the management HTTP API: JSON over HTTP for
// everything the reference "Service Accounts" admin screens do (accounts,
// their API keys and permissions, and the permission catalog), each change
// made through a [serviceaccount.Manager].
//
// # Authentication is yours
//
// The library does not decide who is an administrator. Wrap the handler in
// the application's own authentication. For a single shared admin token,
// use [RequireBearerToken], which compares SHA-256 digests in constant time
// and answers 401 problem+json with WWW-Authenticate: Bearer. Its core:
//
//	want := sha256.Sum256([]byte(token))
//	got := sha256.Sum256([]byte(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")))
//	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
//		w.Header().Set("WWW-Authenticate", "Bearer") // then 401
//	}
//
// # Mounting
//
// Routes are relative to the mount point, as with http.FileServer: strip
// the prefix before the handler sees the path.
//
//	h, err := admin.New(manager, admin.Config{})
//	if err != nil { … }
//	api := admin.RequireBearerToken(token, h)
//	mux.Handle("/admin/", http.StripPrefix("/admin", api))     // net/http
//	r.Mount("/admin", http.StripPrefix("/admin", api))         // chi
//
// The Location header of a created account includes the prefix, recovered
// from the request line: /admin/service-accounts/{id}.
//
// Serve a net/http outer mux through [NoRedirect]: a plain ServeMux
// answers DELETE /admin/service-accounts/A/api-keys/.. with a redirect to
// /admin/service-accounts/A, which curl -L and Go's http.Client follow
// with the same method and Authorization header, deleting the account.
//
//	http.ListenAndServe(addr, admin.NoRedirect(mux))
//
// # Routes
//
//	GET    /service-accounts?limit=&cursor=          200 {"items":[account…],"nextCursor":string|null}
//	POST   /service-accounts                         201 account, Location
//	GET    /service-accounts/{id}                    200 account, ETag
//	PUT    /service-accounts/{id}                    200 account
//	PATCH  /service-accounts/{id}                    200 account
//	DELETE /service-accounts/{id}                    204
//	GET    /service-accounts/{id}/api-keys?limit=&cursor=     200 {"items":[key…],"nextCursor"}
//	POST   /service-accounts/{id}/api-keys           201 key with "key", the plaintext, shown this once
//	GET    /service-accounts/{id}/api-keys/{keyId}   200 key, ETag
//	PATCH  /service-accounts/{id}/api-keys/{keyId}   200 key
//	POST   /service-accounts/{id}/api-keys/{keyId}/rotate  201 {"created": key with "key", "previous": key}
//	DELETE /service-accounts/{id}/api-keys/{keyId}   204
//	GET    /api-keys?expiresWithinDays=&unusedForDays=&limit=&cursor=  200 {"items":[key…],"nextCursor"}
//	GET    /service-accounts/{id}/permissions?limit=&cursor=  200 {"items":[permission…],"nextCursor"}
//	POST   /service-accounts/{id}/permissions        201 permission
//	PUT    /service-accounts/{id}/permissions/{permissionId}/limiter  200 permission
//	GET    /service-accounts/{id}/permissions/{permissionId}          200 permission, ETag
//	DELETE /service-accounts/{id}/permissions/{permissionId}          204
//	GET    /catalog                                  200 {"resourceTypes":[…]}
//	GET    /policy                                   200 {"maxKeysPerAccount","maxKeyLifetimeSeconds",
//	                                                      "defaultKeyLifetimeSeconds","maxRotationGraceSeconds",
//	                                                      "leakedKeyAction","unusedKeyDays","stored"} (0 = none)
//	PUT    /policy                                   200 the tenant's own policy, as stored
//	GET    /policy/defaults                          200 the database-wide default policy
//	PUT    /policy/defaults                          200 the default policy, as stored
//	GET    /tenants?limit=&cursor=                   200 {"items":[{"id","accountCount"}…],"nextCursor"}
//	GET    /audit-events?serviceAccountId=&action=&actorId=&since=&until=&limit=&cursor=
//	                                                 200 {"items":[event…],"nextCursor":string|null}
//	GET    /openapi.json                             200 the OpenAPI 3.1 document of these routes
//
// # Tenants
//
// Every route above but /catalog, /openapi.json, /tenants and
// /policy/defaults acts in one tenant, and is served twice: at its path,
// in the tenant Config.Tenant resolves (by default [PathTenant]: the
// default tenant), and under /tenants/{tenant}/, in that tenant
// (/tenants/acme/service-accounts). A malformed tenant id is 400 with
// code invalid_tenant. Config.TenantAllowed says which tenants the
// request's administrator may see: another is 404, as an id that names
// nothing, and GET /tenants leaves it out. Through a tenant, an id of
// another tenant's record is not found and lists hold that tenant's
// records only. Accounts, keys and audit events carry a read-only
// "tenant"; a body naming it is refused like any unknown member.
//
// The key policy is stored in the database, per tenant: GET /policy is
// the tenant's own (stored true) or, for want of one, the database-wide
// default (stored false); PUT /policy stores the tenant's own. Its body
// requires the four limits (0 = none) and accepts leakedKeyAction
// ("disable", the default, or "delete") and unusedKeyDays (default 90;
// 0 = no key.unused notices). PUT /policy/defaults changes the default
// of every tenant without its own, and only an administrator allowed in
// the default tenant may. Every change is audited (policy.update), and
// every instance and the command-line tool enforce it from their next
// key.
//
// GET of an account, key or permission answers with an ETag, a strong
// validator of the record's revision (serviceaccount.AccountRevision and
// its siblings: it changes with every audited change, never with a key's
// last use), and so does the 200 answer of a change to one. PUT, PATCH and
// DELETE honour If-Match (a list of ETags, or *): the Manager compares it
// inside the change's transaction, after locking the record, and a tag
// that no longer matches (a weak or malformed one never does) is 412
// precondition_failed with nothing written.
//
// The OpenAPI document ([OpenAPIDocument]) describes every route, body,
// response and problem code below; the package's tests check every
// exchange they make against it. It is served like every other route,
// behind the application's authentication.
//
// Bodies: an account is {"label","description"} (PUT replaces both, so an
// omitted description is cleared); an account PATCH any of {"label",
// "description","disabled"} and a key PATCH any of {"name","disabled"}, at
// least one (so {} is 400; null is not a value for any of them); a new
// key {"name","expiresAt": RFC 3339 or null}, where the whole body may be
// empty; a rotation {"name","expiresAt","gracePeriodSeconds"}, all
// optional (the body too), where null for name or expiresAt means the
// default, as an absent member does: the old key's name, and its lifetime
// counted from now; gracePeriodSeconds is an integer from 0 to the
// policy's maximum (absent: 86400), and the old key then expires at
// min(its expiry, now + grace); a permission {"resourceType",
// "resourceKey","action","limiter"}; a limiter change {"limiter": array or
// null}, where the member is required and null removes the limiter.
//
// Responses: account {"id","tenant","label","description","createdAt","updatedAt",
// "disabledAt"}; key {"id","tenant","serviceAccountId","name","hint","createdAt",
// "lastUsedAt","expiresAt","disabledAt","replacedBy"}, never the key or
// its hash except "key" in the create and rotate responses, which are
// sent with Cache-Control: no-store; permission {"id","serviceAccountId",
// "resourceType","resourceKey","action","limiter","createdAt"}, the limiter
// in its canonical form. Absent values are null; an empty description is "".
// Times are RFC 3339 in UTC with exactly six fractional digits
// (2026-01-31T09:00:00.000000Z): the stores keep microseconds, and a fixed
// width sorts as text.
//
// An audit event is {"id","tenant","occurredAt","actor","action","serviceAccountId",
// "targetId","details"}: actor is {"id","address","userAgent"} or null,
// targetId the key or permission changed (null for account events), and
// details {"before":…,"after":…} as serviceaccount.AuditDetails describes.
// Events come newest first and outlive the account they name. Every
// filter is optional and they combine with AND: serviceAccountId (a
// UUID other than the nil UUID, which names nothing; a deleted account's
// id still matches its events), action (one of store.AuditActions()),
// actorId (compared exactly, trailing spaces included, on every database),
// since (inclusive) and until (exclusive), RFC 3339 times with since not
// after until. A filter that is malformed, empty, repeated or unknown is a
// 400 naming it. Who the actor is comes from Config.Actor.
//
// Pagination: limit is 1 to 200 (default 50); cursor is the nextCursor of
// the previous page, opaque and URL-safe; nextCursor is null on the last
// page. Accounts come in creation order, and so do an account's keys and
// permissions (by id, UUIDv7), and the keys of GET
// /api-keys (by key id), the hygiene list across all accounts: with
// expiresWithinDays=N the keys not yet expired that expire within N days,
// with unusedForDays=N the keys last used more than N days ago or never
// used and created more than N days ago (expired and disabled keys
// included), both ANDed; N is plain digits, 0 to 36500. An unknown or
// repeated parameter is 400.
//
// # Requests
//
// A request body must be one JSON object, at most [MaxBodyBytes], with only
// the members listed above (names match exactly, each at most once) and
// nothing after it. It must be sent with Content-Type: application/json (or
// an application/*+json type, charset UTF-8 if given), as in
//
//	curl -H 'Content-Type: application/json' -d '{"label":"nightly export"}' …
//
// Any other declared type is 415, and so is a non-empty body without a
// type. This refuses curl's default form encoding with a message saying
// what to add, rather than guessing; and it refuses the bodies a browser
// sends cross-site without a CORS preflight (forms, text/plain), so an
// application that authenticates admins by cookie is not open to
// cross-site request forgery through this API.
//
// # Errors
//
// Errors are RFC 9457 application/problem+json documents with "title",
// "status", "detail", a stable "code" and "type"
// urn:serviceaccounts:problem:<code>,
// and for invalid input an "errors" array of {"field","message"} whose
// field is the JSON name (label, expiresAt, limiter[0].surveyKey, limit,
// cursor): the first 20, with "moreErrors" counting the rest, so that a
// body of 100 000 unknown members is not answered with megabytes.
//
//	400  invalid_input: a wrong JSON type, an unknown or repeated member,
//	     data after the object, invalid values (text that is not valid
//	     UTF-8 or escapes a lone surrogate such as \ud800, a time outside
//	     UTC years 1 to 9999 or with an offset beyond ±23:59), a bad or
//	     repeated limit or cursor; malformed_json: not JSON;
//	     ambiguous_header: a repeated Content-Type; ambiguous_credentials:
//	     more than one Authorization header (RequireBearerToken)
//	401  no_credentials, invalid_token (RequireBearerToken)
//	404  not_found: an unknown path or id, an id that is not a UUID, a key
//	     or permission that belongs to another account, and a path that
//	     needs cleaning ("..", ".", "//"), whatever the method: the API never
//	     redirects (see NoRedirect)
//	405  method_not_allowed: a method the path does not support, with an
//	     Allow header
//	409  conflict: a rotation of a disabled, expired or already replaced
//	     key; a new key beyond the policy's MaxKeysPerAccount (the detail
//	     names the limit); a grant the account already holds (the same type, key,
//	     action and limiter, "x" and ["x"] alike; the detail says so), or
//	     another store uniqueness conflict (an id collision)
//	412  precondition_failed: If-Match names no current ETag of the record
//	413  body_too_large: a body larger than MaxBodyBytes
//	415  unsupported_media_type: a body that is not declared as JSON
//	429  too_many_attempts: 10 wrong bearer tokens from the client within a
//	     minute (RequireBearerToken, NewBearerAuth); Retry-After says
//	     when to try again, and until then the right token is refused too
//	503  unavailable: the store failed (a lost connection, a closed pool), or the
//	     request's context ended before it answered; the detail is
//	     generic and the cause is logged
//
// Apart from validation, the Manager's errors all come from the store, so
// a failure is 503, as in the middleware: logged at level Error through
// Config.Logger (at Warn when the request's context ended).
// Invalid input never writes anything.
package admin
