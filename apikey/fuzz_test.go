package apikey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

func FuzzParse(f *testing.F) {
	for _, prefix := range []string{"sa", "live", "a", "abcdefghij"} {
		key, err := apikey.Generate(prefix)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(key)
		f.Add(key[:len(key)-1])
		f.Add(key + "0")
		f.Add(strings.ToUpper(key))
	}
	f.Add("")
	f.Add("sa_")
	f.Add("_")
	f.Add("sa_" + strings.Repeat("z", 49))
	f.Add("sa_" + strings.Repeat("é", 25))

	f.Fuzz(func(t *testing.T, key string) {
		prefixes := []string{apikey.DefaultPrefix}
		if i := strings.IndexByte(key, '_'); i >= 0 && apikey.ValidatePrefix(key[:i]) == nil {
			prefixes = append(prefixes, key[:i])
		}
		for _, prefix := range prefixes {
			err := apikey.Parse(key, prefix)
			if err != nil {
				if !errors.Is(err, apikey.ErrMalformed) {
					t.Fatalf("Parse(%q, %q) = %v, not ErrMalformed", key, prefix, err)
				}
				if strings.Contains(err.Error(), key) && len(key) > 2 {
					t.Fatalf("error %q echoes the key", err)
				}
				continue
			}
			if len(key) != len(prefix)+1+43+6 {
				t.Fatalf("accepted %q of length %d for prefix %q", key, len(key), prefix)
			}
			if !strings.HasPrefix(key, prefix+"_") {
				t.Fatalf("accepted %q without prefix %q", key, prefix)
			}
			body := key[len(prefix)+1:]
			if strings.Trim(body, base62) != "" {
				t.Fatalf("accepted %q with characters outside base62", key)
			}
			if got, want := body[43:], checksumOf(key[:len(key)-6]); got != want {
				t.Fatalf("accepted %q with checksum %s, want %s", key, got, want)
			}
			if hint := apikey.Hint(key); !strings.HasPrefix(hint, prefix+"_") {
				t.Fatalf("Hint(%q) = %q", key, hint)
			}
			_ = apikey.HashKey(key)
		}
	})
}
