// Package limiter narrows a permission to the requests whose attributes
// match, for example "get-responses, but only for surveys s1 and s2".
//
// A limiter is written by an administrator as JSON, parsed and validated
// once (when it is written or loaded from the store) into an immutable
// [Limiter], and then evaluated on every request by [Limiter.Match], which
// does not allocate.
//
// # Format
//
// A limiter is a non-empty JSON array of non-empty objects (items). Each
// value is a non-empty string, or a non-empty array of distinct non-empty
// strings meaning "any of these":
//
//	[{"surveyKey": ["s1", "s2"], "studyKey": "st"}, {"reportKey": "r1"}]
//
// JSON null, or empty input, means "no limiter" and parses to a nil
// *Limiter. Everything else is rejected with an [*Error] whose Path names
// the offending part, so an API can report it as a field such as
// "limiter[0].surveyKey".
//
// # Matching
//
// A limiter matches when at least one item matches. An item matches when
// every one of its keys has a request attribute equal to its value, or to
// one of its values. An attribute the request does not carry makes the item
// fail: a limiter only ever narrows access, so a key the request cannot
// satisfy must not be ignored (the reference system ignored it and so
// widened access).
//
// A nil *Limiter, like the zero Limiter, is "no limiter": Match returns true.
// Callers that hold an optional limiter can therefore call Match without a
// nil check.
//
// # Limits
//
// Limiters are admin input, so Parse bounds what it accepts, which also
// bounds the work Match does per request: at most 64 KiB of JSON, 100 items,
// 20 keys per item, 100 values per key, and 200 bytes per key or value.
// Keys and values must be valid UTF-8, spelled without escapes of lone
// surrogates (such as \ud800, which JSON decoders silently replace with
// U+FFFD). The Manager also refuses control characters in new limiters.
//
// # Canonical form
//
// [Limiter.MarshalJSON] and [Limiter.String] write one canonical form, so
// equal limiters store and compare as equal text: compact, items in their
// original order, keys sorted within an item, a single string kept a string
// and an array kept an array with its values in their original order, and
// only the escapes JSON requires (no HTML escaping). The canonical form is
// never longer than the input it came from, so it always parses again within
// the size limit.
package limiter
