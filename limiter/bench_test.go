package limiter_test

import (
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

func BenchmarkMatch(b *testing.B) {
	l := limiter.MustParse(`[
		{"studyKey": "st1", "surveyKey": ["s1", "s2"]},
		{"reportKey": ["r1", "r2", "r3"]},
		{"studyKey": "st2", "surveyKey": ["s3", "s4", "s5"]}
	]`)
	// Matches only the last item, so every item is tried.
	attrs := [...]limiter.Attribute{
		{Key: "studyKey", Value: "st2"},
		{Key: "surveyKey", Value: "s5"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if !l.Match(attrs[:]) {
			b.Fatal("want a match")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data := []byte(`[{"studyKey":"st1","surveyKey":["s1","s2"]},{"reportKey":["r1","r2","r3"]},{"studyKey":"st2","surveyKey":["s3","s4","s5"]}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := limiter.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
