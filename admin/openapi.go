package admin

import (
	_ "embed"
	"net/http"
	"slices"
)

// openAPIDocument is the OpenAPI 3.1 description of every route New
// serves. The package's tests check every request they send and every
// response they get against it, so it cannot drift from the handler.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the OpenAPI 3.1 document of the management API
// (a copy), for an application that wants to publish it elsewhere, for
// example without authentication, or to generate a client from it.
func OpenAPIDocument() []byte { return slices.Clone(openAPIDocument) }

// openAPI serves the document at GET /openapi.json. It is one route of
// the handler like the others, so it sits behind whatever authentication
// the application wraps the handler in (the example server's admin
// token): the library does not decide what is public, and an API
// description is not secret, so an application that wants it public can
// serve OpenAPIDocument outside its authentication.
func (h *handler) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(openAPIDocument)
	return nil
}

// contractHook wraps the handlers New and RequireBearerToken return. It
// is the identity, except in this package's tests, which set it to check
// every exchange against the OpenAPI document whatever way a test sends
// its requests (the net/http testHook pattern).
var contractHook = func(h http.Handler) http.Handler { return h }
