package ratelimit

import (
	"context"
	"encoding/hex"
	"time"
)

// Limiter decides whether a request charged to a key's budget may pass.
//
// Allow charges one request to key's budget under limit and returns the
// decision. It returns an error wrapping [ErrInvalidLimit] for a limit that
// fails [Limit.Validate], and may return an error when the context is done;
// the Decision that comes with an error is the zero value, a refusal, so a
// caller that ignores the error still fails closed. now is the caller's
// clock; a shared limiter may use its own (a Redis server's) instead, so
// that instances with skewed clocks agree.
//
// The same key with a different limit uses the same budget: a changed limit
// applies from the next request on.
type Limiter interface {
	Allow(ctx context.Context, key Key, limit Limit, now time.Time) (Decision, error)
}

// Key names one budget. It is 16 bytes, which holds a key's UUID
// (ratelimit.Key(id)) or an IP address (ratelimit.Key(addr.As16())): a
// fixed-size value rather than a string, so that the in-process limiter
// finds and charges a tracked key without allocating, and an entry's size
// does not depend on the caller.
type Key [16]byte

// AppendHex appends the key's 32 lower-case hex digits to b.
func (k Key) AppendHex(b []byte) []byte {
	return hex.AppendEncode(b, k[:])
}

// String is the key's 32 lower-case hex digits.
func (k Key) String() string {
	return hex.EncodeToString(k[:])
}
