// Package adminui serves the "Service Accounts" admin page: the screens of
// the reference admin tool (a list of service accounts as cards; an
// account's information, API keys, permissions and deletion), rendered on
// the server with html/template, each change made through a
// [serviceaccount.Manager].
//
// # Mounting and authentication
//
// The library does not decide who is an administrator: wrap the handler in
// the application's own authentication, and strip the prefix it is mounted
// at, as with http.FileServer. Every link, form action and redirect is
// built from that prefix (recovered from the request, or Config.Prefix).
//
//	page, err := adminui.New(manager, adminui.Config{
//		Actor: func(r *http.Request) (serviceaccount.Actor, bool) {
//			return serviceaccount.Actor{ID: currentUser(r), Address: r.RemoteAddr, UserAgent: r.UserAgent()}, true
//		},
//	})
//	if err != nil { … }
//	mux.Handle("/admin/ui/", requireAdmin(http.StripPrefix("/admin/ui", page)))
//
// The example server (examples/server) puts it behind a login form that
// takes the admin token and sets a session cookie.
//
// # Without and with JavaScript
//
// Every change is an HTML form that posts to the page and is answered with
// 303 See Other, so a reload never posts again. The one exception is
// creating or rotating a key: the answer is the account page showing the
// new key, once, because a redirect would have to carry the key in its URL. Dialogs are
// <dialog> elements that a ?dialog= link renders open, so they work
// without JavaScript; the embedded script (assets/app.js, plain
// JavaScript, no build step) opens them as modals in place, copies keys to
// the clipboard, and narrows the add-permission form to the resource keys,
// actions and limiter field that the chosen type and action allow, from
// the Manager's catalog, so an application's own catalog just works.
//
// # Security
//
// Every response carries [ContentSecurityPolicy] (scripts and styles only
// from the page's own files: the templates have no inline script, style
// or event-handler attribute), Cache-Control: no-store, nosniff, and
// frame denial. Every POST passes http.CrossOriginProtection. A new key's
// plaintext is in exactly one response, the one that created it, and never
// in a URL, cookie or log line. A path that needs cleaning is 404, never a
// redirect. Forms with a missing, repeated or unknown field are refused
// whole (400) and nothing is written; a record deleted meanwhile is a 404
// page, and a store that does not answer a 503 page with the cause logged.
//
// # Routes
//
// Relative to the mount point:
//
//	GET  /                                                the list of service accounts
//	POST /accounts                                        create (label, description)
//	GET  /accounts/{id}                                   the account page
//	POST /accounts/{id}                                   update (label, description)
//	POST /accounts/{id}/delete                            delete the account
//	POST /accounts/{id}/keys                              create a key (name, setExpiry, expiresOn); 201 page with the key
//	POST /accounts/{id}/keys/{keyId}/delete               delete a key
//	POST /accounts/{id}/permissions                       add (resourceType, resourceKey, action, limiter)
//	POST /accounts/{id}/permissions/{permissionId}/limiter  set the limiter (empty removes it)
//	POST /accounts/{id}/permissions/{permissionId}/delete   delete a permission
//	POST /accounts/{id}/disable, /enable                  disable or enable the account
//	POST /accounts/{id}/keys/{keyId}/rotate               rotate (name, setExpiry, expiresOn, grace); 201 page with the new key
//	POST /accounts/{id}/keys/{keyId}/name                 rename a key (empty removes the name)
//	POST /accounts/{id}/keys/{keyId}/disable, /enable     disable or enable a key
//	GET  /accounts/{id}/activity                          the account's audit events, newest first
//	GET  /keys?expiresWithinDays=&unusedForDays=          the hygiene list across accounts
//	GET  /webhooks                                        the tenant's webhooks (?dialog=create-webhook, ?dialog=delete-webhook&webhook={id})
//	POST /webhooks                                        create (url, events repeated, description); 201 page with the secret
//	GET  /webhooks/{webhookId}                            the webhook's recent deliveries
//	POST /webhooks/{webhookId}/delete                     delete a webhook
//	GET  /policy                                          the tenant's key policy
//	POST /policy                                          store it (maxKeys, maxLifetimeDays, defaultDays, graceHours, leakedKeyAction, unusedKeyDays)
//	GET  /assets/{name}                                   app.css, app.js, favicon.svg
//
// # Tenants
//
// Every route above also exists under /tenants/{tenant}, acting on that
// tenant through Manager.Tenant; without it the page acts on
// store.DefaultTenant. The tenant lives only in the URL, never in a
// cookie, so a form always posts to the tenant of the page it came from.
// Config.TenantAllowed decides which tenants the request's administrator
// may see (by default only the default tenant): another is answered 404,
// like a tenant that does not exist, and a malformed id 400. With more
// than one visible tenant the header shows a switcher.
//
// A new key's expiry is chosen as 7, 30 or 90 days from now, a date, or
// never (with a warning; left out when the policy requires an expiry). A
// date means the end of that day (23:59:59) in Config.Location (UTC by
// default), the zone times are shown in; times read relative to now ("3
// hours ago"), with the exact time as a tooltip and for screen readers.
//
// Deleting a key or a permission asks first, naming what goes:
// GET /accounts/{id}?dialog=delete-key&key={keyId} (or
// dialog=delete-permission&permission={permissionId}) shows the
// confirmation, whose button posts to the delete address.
package adminui
