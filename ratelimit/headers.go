package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// PolicyName is the name the RateLimit and RateLimit-Policy fields give to
// a key's one policy.
const PolicyName = "default"

// WriteHeaders sets, on w's header, the IETF httpapi rate-limit fields for
// d, and Retry-After when d is a refusal:
//
//	RateLimit-Policy: "default";q=<limit>;w=<period in seconds>
//	RateLimit: "default";r=<remaining>;t=<seconds until a request passes>
//	Retry-After: <seconds, at least 1>
//
// Seconds are rounded up, so that a client that waits as told is not
// refused again; Retry-After is at least 1 because 0 would invite an
// immediate retry. Call it before w.WriteHeader. The field names are set in
// Go's canonical form (Ratelimit-Policy); HTTP field names are
// case-insensitive.
func WriteHeaders(w http.ResponseWriter, d Decision) {
	h := w.Header()
	var buf [64]byte
	b := append(buf[:0], `"`+PolicyName+`";q=`...)
	b = strconv.AppendInt(b, int64(d.Limit.Count), 10)
	b = append(b, ";w="...)
	b = strconv.AppendInt(b, ceilSeconds(d.Limit.Period), 10)
	h.Set("RateLimit-Policy", string(b))

	b = append(buf[:0], `"`+PolicyName+`";r=`...)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, ceilSeconds(d.RetryAfter), 10)
	h.Set("RateLimit", string(b))

	if !d.Allowed {
		h.Set("Retry-After", strconv.FormatInt(max(1, ceilSeconds(d.RetryAfter)), 10))
	}
}

// ceilSeconds is d in whole seconds, rounded up; zero for d ≤ 0.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
