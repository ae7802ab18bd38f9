package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/internal/lograte"
	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
)

// The errors Authenticate and Require hand to the ErrorHandler. Test for
// them with errors.Is (errors.As for *ForbiddenError); StatusOf maps each to
// its HTTP status. None of them ever contains a key or a hash.
var (
	// ErrNoCredentials: the request carries no API key (401).
	ErrNoCredentials error = newSentinel("middleware: no API key in the request")
	// ErrMalformedKey: the presented string is not a key of this
	// application's format (401).
	ErrMalformedKey error = newSentinel("middleware: malformed API key")
	// ErrAmbiguousCredentials: the request carries more than one
	// Authorization header, more than one X-API-Key header, or both headers
	// with different keys (400). A proxy that inspects another of the
	// values than the one used here could be fooled, so none is used.
	ErrAmbiguousCredentials error = newSentinel("middleware: more than one API key in the request")
	// ErrUnknownKey: a well-formed key that the store does not hold, either
	// never issued or deleted (401). The two are not told apart.
	ErrUnknownKey error = newSentinel("middleware: unknown API key")
	// ErrExpiredKey: the key exists but its expiry time has passed (401).
	ErrExpiredKey error = newSentinel("middleware: expired API key")
	// ErrDisabledKey: the key exists but is disabled (401).
	ErrDisabledKey error = newSentinel("middleware: disabled API key")
	// ErrDisabledAccount: the key belongs to a disabled account (401).
	ErrDisabledAccount error = newSentinel("middleware: the API key's service account is disabled")
	// ErrForbidden: no permission grants the request (403). Every
	// *ForbiddenError is ErrForbidden to errors.Is.
	ErrForbidden error = newSentinel("middleware: forbidden")
	// ErrMalformedQuery: Require needed a Query attribute and the query is
	// one that net/url does not parse cleanly: more than its limit of
	// parameters (10 000), a semicolon, or a bad percent escape (400).
	// r.URL.Query() drops such pairs (or, past the limit, the whole query),
	// so the permission would be checked on a value the handler does not
	// see.
	ErrMalformedQuery error = newSentinel("middleware: malformed query string")
	// ErrAmbiguousHeader: Require needed a Header attribute and the request
	// repeats that header (400): a proxy or handler might read another of
	// its values.
	ErrAmbiguousHeader error = newSentinel("middleware: repeated request header")
	// ErrStoreUnavailable wraps the store error that kept a key from being
	// checked (503). Authentication fails closed: never 200, never 401.
	ErrStoreUnavailable error = newSentinel("middleware: credential store unavailable")
	// ErrBodyTooLarge: Require needed an attribute from a JSON body longer
	// than Config.MaxBodyBytes (413).
	ErrBodyTooLarge error = newSentinel("middleware: request body too large")
	// ErrUnreadableBody: Require needed an attribute from the body and
	// reading it failed (400).
	ErrUnreadableBody error = newSentinel("middleware: request body could not be read")
	// ErrAmbiguousBody: Require needed an attribute from a JSON body in
	// which one object holds the same key twice, compared as encoding/json
	// matches keys to fields (ignoring case), so that the handler might
	// read another value than the one the permission was checked on (400).
	// The error names the key, never a value.
	ErrAmbiguousBody error = newSentinel("middleware: ambiguous JSON body")
	// ErrClosed: the request arrived after Close had begun (503). A closed
	// middleware no longer follows the Manager's changes, so it answers
	// nothing rather than answer from a cache that may be outdated.
	ErrClosed error = newSentinel("middleware: closed")
	// ErrTooManyAttempts: the client has used up Config.UnknownKeyLimit
	// and the key is not in the cache (429). The error is a
	// *TooManyAttemptsError, which says when to retry; the middleware sets
	// Retry-After before the ErrorHandler runs.
	ErrTooManyAttempts error = newSentinel("middleware: too many unknown API keys from this client")
	// ErrInvalidTenant: Config.TenantFrom read a tenant id that is not
	// well formed (see store.CheckTenant) (400).
	ErrInvalidTenant error = newSentinel("middleware: malformed tenant id in the request")
	// ErrWrongTenant: the request names another tenant than the one the
	// key belongs to (403). Keys are global; the check keeps a key of one
	// tenant from acting in another.
	ErrWrongTenant error = newSentinel("middleware: the API key belongs to another tenant")
	// ErrIPNotAllowed: the key has allowed networks (AllowedCIDRs) and the
	// request's client address, as Config.ClientAddr reads it, is in none
	// of them, or could not be read (403).
	ErrIPNotAllowed error = newSentinel("middleware: the API key may not be used from this network address")
	// ErrOutsideKeyScope: the account's permissions allow the request but
	// none of the key's scopes covers it (403). A scope only narrows what
	// the account may do.
	ErrOutsideKeyScope error = newSentinel("middleware: the request is outside the API key's scopes")
	// ErrRateLimited: the key has a rate limit and its budget is used up
	// (429). The error is a *RateLimitedError, which holds the limiter's
	// decision; the middleware sets Retry-After, RateLimit-Policy and
	// RateLimit before the ErrorHandler runs.
	ErrRateLimited error = newSentinel("middleware: the API key's rate limit is exceeded")
	// ErrNotAuthenticated: a request reached Require without passing through
	// Authenticate. It is a wiring mistake of the application, answered 500
	// and logged, never a silent allow.
	ErrNotAuthenticated error = newSentinel("middleware: Require without Authenticate")
)

// sentinel is the type of the errors above. Each knows its entry in
// outcomes and, for those whose answer carries no data, its response body,
// both set by init: the refusal path (the metrics, StatusOf, WriteProblem)
// finds what it needs with one type assertion, where comparing err with
// every sentinel in turn took a tenth of the time a refused request costs.
type sentinel struct {
	msg     string
	outcome int             // the index in outcomes; -1 when none
	problem problemResponse // the static answer; a nil body when none
}

func newSentinel(msg string) *sentinel { return &sentinel{msg: msg, outcome: -1} }

func (e *sentinel) Error() string { return e.msg }

// TooManyAttemptsError is the ErrTooManyAttempts of one request.
type TooManyAttemptsError struct {
	// RetryAfter is how long the client must wait before the next lookup
	// of a key that is not cached: whole seconds, at least one.
	RetryAfter time.Duration
}

func (e *TooManyAttemptsError) Error() string {
	return fmt.Sprintf("%s; retry after %s", ErrTooManyAttempts, e.RetryAfter)
}

func (e *TooManyAttemptsError) Is(target error) bool { return target == ErrTooManyAttempts }

// errTwoKeys keeps a request from smuggling a second key past a proxy that
// inspects only one of the two headers.
var errTwoKeys = fmt.Errorf("%w: Authorization and X-API-Key carry different keys", ErrAmbiguousCredentials)

// ambiguousBodyError is the ErrAmbiguousBody of one body: it names the
// repeated key, as the request spelled it (first and later occurrence),
// shortened, and never a value.
type ambiguousBodyError struct {
	first, again string
}

// maxKeyInDetail bounds a key name quoted in a problem detail: a body of up
// to MaxBodyBytes could otherwise be echoed whole.
const maxKeyInDetail = 64

func (e *ambiguousBodyError) Error() string { return "middleware: " + e.detail() }

func (e *ambiguousBodyError) Unwrap() error { return ErrAmbiguousBody }

func (e *ambiguousBodyError) detail() string {
	if e.first == e.again {
		return "ambiguous JSON body: key " + quoteKey(e.first) + " appears more than once in one object"
	}
	return "ambiguous JSON body: keys " + quoteKey(e.first) + " and " + quoteKey(e.again) +
		" in one object are the same key to a JSON decoder, which ignores case"
}

// quoteKey quotes a key name taken from a request, cut to maxKeyInDetail
// bytes on a character boundary.
func quoteKey(k string) string {
	h, cut := head(k)
	if cut {
		return strconv.Quote(h) + "…"
	}
	return strconv.Quote(h)
}

// head is s cut to maxKeyInDetail bytes on a character boundary, and
// whether it was cut.
func head(s string) (string, bool) {
	if len(s) <= maxKeyInDetail {
		return s, false
	}
	cut := maxKeyInDetail
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}

// ForbiddenError reports that the authenticated account lacks the
// permission a route requires (403). It names the permission, and the
// attributes by name only.
type ForbiddenError struct {
	ResourceType string
	// ResourceKey is "" when the request did not name the resource (a
	// missing path value, query parameter, header or body field).
	ResourceKey string
	Action      string
	// Limited reports that the account holds the permission, but only with
	// limiters that the request's attributes do not satisfy.
	Limited bool
	// MissingAttributes names the attributes the route declares that the
	// request did not carry.
	MissingAttributes []string
}

// Is makes every *ForbiddenError match ErrForbidden.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

func (e *ForbiddenError) Error() string {
	var b strings.Builder
	// The key comes from the request (a path, a query or a JSON body of up
	// to MaxBodyBytes): only its start is repeated.
	key, cut := head(e.ResourceKey)
	switch {
	case key == "":
		key = "(none)"
	case cut:
		key += "…"
	}
	b.WriteString("missing permission ")
	b.WriteString(e.ResourceType + "/" + key + "/" + e.Action)
	switch {
	case e.ResourceKey == "":
		b.WriteString(": the request does not name the resource")
	case e.Limited:
		b.WriteString(": the account holds it only with a limiter that the request does not match")
	}
	if len(e.MissingAttributes) > 0 {
		b.WriteString(" (attributes absent from the request: " + strings.Join(e.MissingAttributes, ", ") + ")")
	}
	return b.String()
}

// StatusOf is the HTTP status the default ErrorHandler answers err with:
// 401 for the credential errors, 403 for *ForbiddenError, ErrWrongTenant,
// ErrIPNotAllowed and ErrOutsideKeyScope, 400 for ErrInvalidTenant, 429
// for ErrTooManyAttempts and ErrRateLimited, 413 for
// ErrBodyTooLarge, 400 for ErrUnreadableBody, ErrAmbiguousBody,
// ErrAmbiguousCredentials, ErrMalformedQuery and ErrAmbiguousHeader, 503
// for ErrStoreUnavailable and ErrClosed, and 500 for anything else.
func StatusOf(err error) int {
	return outcomeOf(err).status
}

// CodeOf is the stable, machine-readable code the default ErrorHandler
// puts in the problem body's "code" member for err (see the package
// documentation for the list); "internal" for an error of no known kind.
// Clients should branch on the code, never on the detail text.
func CodeOf(err error) string {
	return outcomeOf(err).code
}

// outcome is what a client is told about an error: a status and a code.
type outcome struct {
	status int
	code   string
}

// outcomes maps each sentinel to its answer, in the order errors.Is is
// tried: errTwoKeys wraps ErrAmbiguousCredentials and must find it.
var outcomes = []struct {
	err error
	outcome
}{
	{ErrNoCredentials, outcome{http.StatusUnauthorized, "no_credentials"}},
	{ErrMalformedKey, outcome{http.StatusUnauthorized, "malformed_key"}},
	{ErrUnknownKey, outcome{http.StatusUnauthorized, "unknown_key"}},
	{ErrExpiredKey, outcome{http.StatusUnauthorized, "expired_key"}},
	{ErrDisabledKey, outcome{http.StatusUnauthorized, "disabled_key"}},
	{ErrDisabledAccount, outcome{http.StatusUnauthorized, "disabled_account"}},
	{ErrAmbiguousCredentials, outcome{http.StatusBadRequest, "ambiguous_credentials"}},
	{ErrForbidden, outcome{http.StatusForbidden, "forbidden"}},
	{ErrStoreUnavailable, outcome{http.StatusServiceUnavailable, "unavailable"}},
	{ErrClosed, outcome{http.StatusServiceUnavailable, "unavailable"}},
	{ErrBodyTooLarge, outcome{http.StatusRequestEntityTooLarge, "body_too_large"}},
	{ErrUnreadableBody, outcome{http.StatusBadRequest, "unreadable_body"}},
	{ErrAmbiguousBody, outcome{http.StatusBadRequest, "ambiguous_body"}},
	{ErrMalformedQuery, outcome{http.StatusBadRequest, "malformed_query"}},
	{ErrAmbiguousHeader, outcome{http.StatusBadRequest, "ambiguous_header"}},
	{ErrTooManyAttempts, outcome{http.StatusTooManyRequests, codeTooManyAttempts}},
	{ErrInvalidTenant, outcome{http.StatusBadRequest, "invalid_tenant"}},
	{ErrWrongTenant, outcome{http.StatusForbidden, "wrong_tenant"}},
	{ErrIPNotAllowed, outcome{http.StatusForbidden, "ip_not_allowed"}},
	{ErrOutsideKeyScope, outcome{http.StatusForbidden, "outside_key_scope"}},
	{ErrRateLimited, outcome{http.StatusTooManyRequests, "rate_limited"}},
}

// codeTooManyAttempts is ErrTooManyAttempts' code, the same as the admin
// throttle's: too many failed attempts from one client.
const codeTooManyAttempts = "too_many_attempts"

var outcomeInternal = outcome{http.StatusInternalServerError, "internal"}

func outcomeOf(err error) outcome {
	// A sentinel first: the rejected-key path runs at request rate and
	// allocates nothing here.
	if s, ok := err.(*sentinel); ok && s.outcome >= 0 {
		return outcomes[s.outcome].outcome
	}
	for i := range outcomes {
		if errors.Is(err, outcomes[i].err) {
			return outcomes[i].outcome
		}
	}
	return outcomeInternal
}

// Problem is the RFC 9457 body the default ErrorHandler writes. Code is
// one of the stable codes of CodeOf; Type is ProblemTypePrefix + Code, so
// that a client branching on RFC 9457's type gets the same distinction.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

const problemContentType = "application/problem+json"

// ProblemTypePrefix is the type of every problem body of this module (the
// middleware's, the admin API's, the example server's), before its code:
// urn:serviceaccounts:problem:unknown_key. A URN rather than a URL, so
// that there is no documentation address to keep alive.
const ProblemTypePrefix = "urn:serviceaccounts:problem:"

// problemDetail is the client-facing text for err. Store and internal
// errors are not passed through: their text is for the server's log.
func problemDetail(err error, status int) string {
	var fe *ForbiddenError
	var ae *ambiguousBodyError
	switch {
	case errors.Is(err, ErrNoCredentials):
		return "an API key is required: send it as Authorization: Bearer <key> or in the X-API-Key header"
	case errors.Is(err, errTwoKeys):
		return "the Authorization and X-API-Key headers carry different keys"
	case errors.Is(err, ErrAmbiguousCredentials):
		return "send one API key, in one Authorization header or one X-API-Key header"
	case errors.Is(err, ErrDisabledKey):
		return "the API key is disabled"
	case errors.Is(err, ErrDisabledAccount):
		return "the API key's service account is disabled"
	case errors.Is(err, ErrMalformedQuery):
		return "the query string cannot be parsed unambiguously: at most 10000 parameters, no semicolons, and only valid percent escapes"
	case errors.Is(err, ErrAmbiguousHeader):
		return "a request header the permission check reads is repeated"
	case errors.Is(err, ErrMalformedKey):
		return "the API key is malformed"
	case errors.Is(err, ErrUnknownKey):
		return "the API key is not valid"
	case errors.Is(err, ErrExpiredKey):
		return "the API key has expired"
	case errors.As(err, &fe):
		return fe.Error()
	case errors.Is(err, ErrStoreUnavailable):
		return "the API key could not be checked; try again later"
	case errors.Is(err, ErrBodyTooLarge):
		return "the request body is too large"
	case errors.Is(err, ErrUnreadableBody):
		return "the request body could not be read"
	case errors.As(err, &ae):
		return ae.detail()
	case errors.Is(err, ErrAmbiguousBody):
		return "ambiguous JSON body: a key appears more than once in one object"
	case errors.Is(err, ErrClosed):
		return "the service is shutting down; try again later"
	case errors.Is(err, ErrInvalidTenant):
		return "the request's tenant id is malformed: 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"
	case errors.Is(err, ErrWrongTenant):
		return "the API key belongs to another tenant than the one the request names"
	case errors.Is(err, ErrTooManyAttempts):
		return "too many unknown API keys were sent from this client; retry after the time in Retry-After"
	case errors.Is(err, ErrIPNotAllowed):
		return "the API key may not be used from this network address"
	case errors.Is(err, ErrOutsideKeyScope):
		return "the request is outside the API key's scopes"
	case errors.Is(err, ErrRateLimited):
		return "the API key's rate limit is exceeded; retry after the time in Retry-After"
	}
	return http.StatusText(status)
}

// problemResponse is the status and body WriteProblem answers an error
// with.
type problemResponse struct {
	status int
	body   []byte
}

func encodeProblem(err error) problemResponse {
	oc := outcomeOf(err)
	status := oc.status
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // "<key>" reads better than "\u003ckey\u003e" in curl
	if mErr := enc.Encode(Problem{
		Type:   ProblemTypePrefix + oc.code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: problemDetail(err, status),
		Code:   oc.code,
	}); mErr != nil { // strings and an int always marshal
		panic(mErr)
	}
	return problemResponse{status, body.Bytes()}
}

// problemTwoKeys is errTwoKeys' answer, built once as the sentinels' are.
var problemTwoKeys = encodeProblem(errTwoKeys)

// Every sentinel learns its entry in outcomes, and those that carry no
// data their response, built once so that rejecting a bad key runs no
// encoding/json and looks its status up only once.
func init() {
	for i, o := range outcomes {
		o.err.(*sentinel).outcome = i
	}
	for _, err := range []error{
		ErrNoCredentials, ErrMalformedKey, ErrUnknownKey, ErrExpiredKey,
		ErrDisabledKey, ErrDisabledAccount, ErrNotAuthenticated, ErrClosed,
		ErrAmbiguousCredentials, ErrMalformedQuery, ErrAmbiguousHeader, ErrTooManyAttempts,
		ErrInvalidTenant, ErrWrongTenant, ErrIPNotAllowed, ErrOutsideKeyScope, ErrRateLimited,
	} {
		err.(*sentinel).problem = encodeProblem(err)
	}
}

func staticProblem(err error) (problemResponse, bool) {
	if s, ok := err.(*sentinel); ok && s.problem.body != nil {
		return s.problem, true
	}
	if err == errTwoKeys {
		return problemTwoKeys, true
	}
	if _, ok := err.(*TooManyAttemptsError); ok {
		return ErrTooManyAttempts.(*sentinel).problem, true
	}
	if _, ok := err.(*RateLimitedError); ok {
		return ErrRateLimited.(*sentinel).problem, true
	}
	return problemResponse{}, false
}

// Header values shared by all error responses, so that rejecting a key
// allocates nothing for them. Each slice has no spare capacity: Header.Add
// copies instead of appending in place, and Header.Set replaces the slice.
var (
	headerProblemJSON           = []string{problemContentType}[:1:1]
	headerChallenge             = []string{"Bearer"}[:1:1]
	headerChallengeInvalidToken = []string{`Bearer error="invalid_token"`}[:1:1]
	headerNoSniff               = []string{"nosniff"}[:1:1]
)

// WriteProblem is the default ErrorHandler: it answers StatusOf(err) with
// an application/problem+json body (RFC 9457) whose detail says what was
// wrong without echoing the key, and with X-Content-Type-Options: nosniff,
// since the detail may quote a JSON key name the client sent. The
// WWW-Authenticate header of a 401 and the Retry-After of a 429 are
// already set by the middleware when an ErrorHandler runs. Applications with their own ErrorHandler can call
// it for the errors they leave alone.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	p, ok := staticProblem(err)
	if !ok {
		p = encodeProblem(err)
	}
	h := w.Header()
	h["Content-Type"] = headerProblemJSON
	h["X-Content-Type-Options"] = headerNoSniff
	w.WriteHeader(p.status)
	w.Write(p.body) //nolint:errcheck // the client may be gone; nothing to do
}

// fail hands err to the ErrorHandler after setting what every 401 must
// carry (RFC 6750 section 3: the bare challenge for a request without a
// key, invalid_token for a bad one), so that a custom ErrorHandler need not
// know about it.
func (m *Middleware) fail(w http.ResponseWriter, r *http.Request, err error) {
	if StatusOf(err) == http.StatusUnauthorized {
		v := headerChallengeInvalidToken
		if err == ErrNoCredentials {
			v = headerChallenge
		}
		w.Header()["Www-Authenticate"] = v
	}
	// Returned unwrapped by the miss path; a type assertion keeps the
	// other refusals free of errors.As.
	if tm, ok := err.(*TooManyAttemptsError); ok {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(tm.RetryAfter/time.Second), 10))
	}
	if rl, ok := err.(*RateLimitedError); ok {
		ratelimit.WriteHeaders(w, rl.Decision)
	}
	m.onError(w, r, err)
}

// storeErrorLogInterval spaces the log lines of store failures: during an
// outage every request fails, and one line per request would bury the log.
const storeErrorLogInterval = time.Second

// storeErrorLog remembers when a store failure was last logged and how many
// were left out since. Only the failure path touches it.
type storeErrorLog = lograte.Limiter

// logStoreError logs why a key could not be checked, at most once per
// storeErrorLogInterval by the Manager's clock; the next line says how many
// failures it stands for. The error comes from the Manager and the store,
// which never include a key or hash in errors.
//
// r is the request whose key it was, or nil outside HTTP (Verify).
func (m *Middleware) logStoreError(ctx context.Context, r *http.Request, err error) {
	if ctx.Err() != nil {
		// The client left while we waited: not the store's fault.
		m.log.DebugContext(ctx, "middleware: API key check abandoned by the client", append(requestAttrs(r), "err", err)...)
		return
	}
	suppressed, ok := m.storeErrors.Allow(m.clock.Now(), storeErrorLogInterval)
	if !ok {
		return
	}
	m.log.ErrorContext(ctx, "middleware: API key could not be checked; answering 503",
		append(requestAttrs(r), "err", err, "similarFailuresNotLogged", suppressed)...)
}

// requestAttrs are the log attributes that say which request a line is
// about, with any key-like part of the path redacted; none outside HTTP.
func requestAttrs(r *http.Request) []any {
	if r == nil {
		return nil
	}
	return []any{"method", r.Method, "path", apikey.RedactKeyLike(r.URL.Path)}
}
