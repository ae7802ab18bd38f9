package serviceaccount_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store"
)

// FitActorText and the audit log's actor check share one definition of
// refused text: whatever character a client puts in its User-Agent, the
// fitted text is accepted by the log. Every Unicode scalar value is
// tried, in User-Agents of the longest length the log holds.
func TestFittedActorTextIsAcceptedByTheAuditLogForEveryCharacter(t *testing.T) {
	f := newFixture(t)
	var chunk strings.Builder
	n := 0
	flush := func() {
		ua := serviceaccount.FitActorText(chunk.String(), store.MaxActorUserAgentLength)
		ctx := serviceaccount.WithActor(t.Context(), serviceaccount.Actor{ID: "admin-token", UserAgent: ua})
		_, err := f.m.CreateAccount(ctx, serviceaccount.AccountInput{Label: "a"})
		require.NoError(t, err, "User-Agent %+q", ua)
		chunk.Reset()
		n = 0
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue // surrogates: not encodable as UTF-8
		}
		chunk.WriteRune(r)
		if n++; n == store.MaxActorUserAgentLength {
			flush()
		}
	}
	flush()
}

func TestFitActorTextReplacesExactlyWhatTheLogRefuses(t *testing.T) {
	for in, want := range map[string]string{
		"curl/8.0 ✓ é":                "curl/8.0 ✓ é",
		"zero\u200bwidth\ufeffboms":   "zero\u200bwidth\ufeffboms", // the log holds them
		"a\u202eb\u2068c\u2069d":      "a\ufffdb\ufffdc\ufffdd",    // bidi override and isolates
		"line\u2028para\u2029":        "line\ufffdpara\ufffd",
		"tab\tnul\x00del\x7fc1\u0085": "tab\ufffdnul\ufffddel\ufffdc1\ufffd",
		"bad\xffbytes":                "bad\ufffdbytes",
		"\u200e\u200f\u061c":          "\ufffd\ufffd\ufffd", // bidi marks
	} {
		assert.Equal(t, want, serviceaccount.FitActorText(in, 100), "%+q", in)
	}
	assert.Equal(t, "ab", serviceaccount.FitActorText("abc", 2), "cut to the limit in characters")
}
