package apikey

import "strings"

// Redacted stands in for text that RedactKeyLike removed.
const Redacted = "[redacted]"

// keyLikeRun is the longest run of key characters that RedactKeyLike
// keeps: longer than any id of this library (a UUID's longest run is 12)
// and than an English word, shorter than a key (at least 51 characters
// with its checksum) or most of one.
const keyLikeRun = 36

// RedactKeyLike returns s with every run of more than 36 key characters
// (base62 digits and '_') replaced by Redacted. Request paths and command
// lines are logged, and a client that pastes a key where an id belongs
// (GET /service-accounts/sa_…) would otherwise put it in the log: no
// secret may reach a log line. Nothing that names a record is that long,
// so the rest of the line stays readable. s is returned unchanged, without
// allocating, when it holds no such run.
func RedactKeyLike(s string) string {
	start, run := 0, 0
	var b strings.Builder
	last := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isKeyChar(s[i]) {
			if run == 0 {
				start = i
			}
			run++
			continue
		}
		if run > keyLikeRun {
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:start])
			b.WriteString(Redacted)
			last = i
		}
		run = 0
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isKeyChar(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}
