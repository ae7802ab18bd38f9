package jsontext

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestFaithful(t *testing.T) {
	for raw, want := range map[string]bool{
		`"plain"`:                 true,
		`"é €"`:                   true,
		`"\u00e9 \n \\u d800"`:    true, // an escaped backslash, then text
		`"\ud83d\ude00"`:          true, // a pair: 😀
		`"\uD83D\uDE00"`:          true,
		`{"a":["\u0041",1,null]}`: true,
		`"\ud800"`:                false,
		`"\ud800x"`:               false,
		`"\ud800\u0041"`:          false,
		`"\udc00"`:                false,
		`"\ude00\ud83d"`:          false,
		`"a\\\ud800"`:             false,
		"\"\xff\"":                false,
		"\"\xc3\"":                false,
		"{\"\xed\xa0\x80\":1}":    false, // a surrogate encoded in UTF-8
	} {
		require.Equal(t, want, Faithful(raw), "%q", raw)
		require.Equal(t, want, Faithful([]byte(raw)), "%q", raw)
	}
}

// Faithful agrees with a round trip through encoding/json: it accepts a
// valid JSON string exactly when decoding it loses nothing.
func FuzzFaithful(f *testing.F) {
	for _, s := range []string{`"a"`, `"\ud800"`, `"\ud83d\ude00"`, "\"\xff\"", `"\\ud800"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var s string
		if json.Unmarshal([]byte(raw), &s) != nil {
			return
		}
		// A decoder that replaced something yields U+FFFD where the input
		// spelled none.
		lossless := utf8.ValidString(raw) && !containsReplacement(s, raw)
		if Faithful(raw) {
			require.True(t, lossless, "%q decodes to %q", raw, s)
		}
	})
}

func containsReplacement(decoded, raw string) bool {
	for _, r := range decoded {
		if r == utf8.RuneError {
			// Spelled in the input, raw or escaped, it is no replacement.
			return !(strings.Contains(raw, "\uFFFD") || strings.Contains(raw, `\ufffd`) || strings.Contains(raw, `\uFFFD`))
		}
	}
	return false
}
