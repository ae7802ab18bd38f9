// Package jsontext finds what JSON decoders replace silently: invalid UTF-8
// and escapes of lone surrogates (such as \ud800), which encoding/json and
// gjson both turn into U+FFFD without an error. Input that holds either
// would be stored as something other than what the client sent, so it is
// refused instead.
package jsontext

import "unicode/utf8"

// Faithful reports whether every string in the JSON text raw decodes to
// exactly the characters it spells: raw is valid UTF-8, and every \u
// escape of a surrogate is a high surrogate followed by an escaped low
// one. raw must be valid JSON (or a part of it that starts outside a
// string), so that each backslash begins an escape.
func Faithful[T string | []byte](raw T) bool {
	if !utf8.Valid([]byte(raw)) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+1 < len(raw) && raw[i+1] != 'u' {
			i++ // a one-character escape, \\ included
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return false
		}
		i += 5
		switch {
		case 0xDC00 <= r && r <= 0xDFFF:
			return false // a low surrogate without its high one
		case 0xD800 <= r && r <= 0xDBFF:
			if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return false
			}
			low, ok := hex4(raw, i+3)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return false
			}
			i += 6
		}
	}
	return true
}

// hex4 decodes the four hex digits at raw[i:].
func hex4[T string | []byte](raw T, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(raw[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
