package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/auththrottle"
	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
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
// Repeated wrong tokens from one client are throttled as NewBearerAuth
// describes, the client being the connection's address; behind a reverse
// proxy use NewBearerAuth with a trusted-proxy reader.
//
// It is the simplest admin authentication, used by the example server;
// an application with its own users wraps New's handler in its own check
// instead. It panics if token is empty, which would be a configuration
// error that must fail at start.
func RequireBearerToken(token string, next http.Handler) http.Handler {
	if token == "" {
		panic("admin: RequireBearerToken needs a non-empty token")
	}
	h, err := NewBearerAuth(BearerConfig{Token: token}, next)
	if err != nil {
		panic(err.Error())
	}
	return h
}

// BearerConfig configures NewBearerAuth. Only Token is required.
type BearerConfig struct {
	// Token is the admin token. It must not be empty.
	Token string
	// ClientAddr says which client a request comes from, for the
	// throttle; nil means the connection's address (clientaddr.RemoteAddr).
	// Behind a reverse proxy, pass a clientaddr.TrustedProxies' ClientAddr.
	ClientAddr clientaddr.Func
	// Throttle counts wrong tokens per client; nil means a new one with
	// auththrottle's defaults (10 failures a minute). Give the bearer check
	// a throttle of its own: a page login counts its own failures.
	Throttle *auththrottle.Throttle
}

// NewBearerAuth is RequireBearerToken with its configuration. A client
// that sent 10 wrong tokens within a minute (the Throttle's settings) gets
// 429 problem+json with code too_many_attempts and Retry-After in whole
// seconds for every further request carrying a token, the right one
// included, so that a guesser cannot tell a hit, until the window passes;
// other clients are unaffected. A request without a token is not an
// attempt: it is answered 401 and not counted.
func NewBearerAuth(cfg BearerConfig, next http.Handler) (http.Handler, error) {
	if cfg.Token == "" {
		return nil, errors.New("admin: the bearer token must not be empty")
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = clientaddr.RemoteAddr
	}
	if cfg.Throttle == nil {
		t, err := auththrottle.New(auththrottle.Config{})
		if err != nil {
			return nil, err
		}
		cfg.Throttle = t
	}
	want := sha256.Sum256([]byte(cfg.Token))
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
		attempt, retryAfter, ok := cfg.Throttle.Begin(cfg.ClientAddr(r))
		if !ok {
			tooManyAttempts(w, retryAfter)
			return
		}
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			attempt.Done(true)
			unauthorized(w, newProblem(http.StatusUnauthorized, "The bearer token is not valid."))
			return
		}
		attempt.Done(false)
		next.ServeHTTP(w, r)
	})), nil
}

// tooManyAttempts answers a throttled client: 429, Retry-After in whole
// seconds, problem code too_many_attempts.
func tooManyAttempts(w http.ResponseWriter, retryAfter time.Duration) {
	secs := strconv.FormatInt(int64(retryAfter/time.Second), 10)
	w.Header().Set("Retry-After", secs)
	p := newProblem(http.StatusTooManyRequests,
		"Too many wrong admin tokens from this client; try again in "+secs+" seconds.").withCode(codeTooManyAttempts)
	writeProblem(w, p)
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
