package serviceaccount_test

import (
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// Some letters and symbols are drawn as nothing at all: a label made only
// of them looks empty in a list, like one of zero-width spaces.
func TestLabelsOfBlankLettersAreRefused(t *testing.T) {
	f := newFixture(t)
	for _, label := range []string{
		"\u3164",       // HANGUL FILLER
		"\uffa0\uffa0", // HALFWIDTH HANGUL FILLER
		"\u115f\u1160", // HANGUL CHOSEONG and JUNGSEONG FILLER
		"\u2800",       // BRAILLE PATTERN BLANK
		" \u3164 \u2800 ",
	} {
		_, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: label})
		requireFields(t, err, "label")
	}
	if _, err := f.m.CreateAccount(t.Context(), serviceaccount.AccountInput{Label: "\u3164a"}); err != nil {
		t.Fatalf("a label with a visible letter besides a filler: %v", err)
	}
}
