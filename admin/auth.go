package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// RequireBearerToken passes a request to next only when it carries
// "Authorization: Bearer <token>"; otherwise it answers 401 problem+json
// with "WWW-Authenticate: Bearer". Both tokens are hashed with SHA-256
// before a constant-time comparison, so neither the content nor the length
// of the token leaks through timing. The token never appears in a response
// or log line.
//
// More than one Authorization header is answered 400 (code
// ambiguous_credentials) whatever the values: a proxy in front that checks
// another of them than the one used here must not be fooled.
//
// It is the simplest admin authentication, used by the example server;
// an application with its own users wraps New's handler in its own check
// instead. It panics if token is empty, which would be a configuration
// error that must fail at start.
func RequireBearerToken(token string, next http.Handler) http.Handler {
	if token == "" {
		panic("admin: RequireBearerToken needs a non-empty token")
	}
	want := sha256.Sum256([]byte(token))
	return contractHook(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Header["Authorization"]) > 1 {
			writeProblem(w, newProblem(http.StatusBadRequest,
				"Send one Authorization header, not several.").withCode(codeAmbiguousCredentials))
			return
		}
		got, ok := bearerToken(r)
		if !ok {
			unauthorized(w, newProblem(http.StatusUnauthorized,
				"This API requires Authorization: Bearer <admin token>.").withCode(codeNoCredentials))
			return
		}
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			unauthorized(w, newProblem(http.StatusUnauthorized, "The bearer token is not valid."))
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// bearerToken returns the credentials of an Authorization header using the
// Bearer scheme, whose name is case-insensitive (RFC 9110, section 11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func unauthorized(w http.ResponseWriter, p *problem) {
	w.Header().Set("WWW-Authenticate", "Bearer")
	writeProblem(w, p)
}
