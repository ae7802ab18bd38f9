package apikey_test

import (
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

func BenchmarkParse(b *testing.B) {
	key := generate(b, apikey.DefaultPrefix)
	b.ReportAllocs()
	for b.Loop() {
		if err := apikey.Parse(key, apikey.DefaultPrefix); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRejectsBadChecksum(b *testing.B) {
	key := generate(b, apikey.DefaultPrefix)
	last := "0"
	if key[len(key)-1] == '0' {
		last = "1"
	}
	key = key[:len(key)-1] + last
	b.ReportAllocs()
	for b.Loop() {
		if apikey.Parse(key, apikey.DefaultPrefix) == nil {
			b.Fatal("accepted a bad key")
		}
	}
}

func BenchmarkHashKey(b *testing.B) {
	key := generate(b, apikey.DefaultPrefix)
	b.ReportAllocs()
	for b.Loop() {
		apikey.HashKey(key)
	}
}

func BenchmarkParseAndHash(b *testing.B) {
	key := generate(b, apikey.DefaultPrefix)
	b.ReportAllocs()
	for b.Loop() {
		if err := apikey.Parse(key, apikey.DefaultPrefix); err != nil {
			b.Fatal(err)
		}
		apikey.HashKey(key)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apikey.Generate(apikey.DefaultPrefix); err != nil {
			b.Fatal(err)
		}
	}
}
