package secretscan

import (
	"regexp"
	"strconv"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

// keyBodyLen is the length of a key after "<prefix>_": 43 base62 digits of
// randomness and 6 of checksum (see package apikey; its test pins this).
const keyBodyLen = 49

// KeyPattern returns the regular expression that matches keys with the
// given prefix, for registering our key format with a secret scanner:
// the prefix, an underscore and 49 base62 digits, with a word boundary on
// both sides so that a longer run of key characters does not match. It is
// valid RE2 and PCRE. The checksum cannot be expressed in a regular
// expression, so a match is a candidate; [apikey.Parse] tells keys from
// near misses.
func KeyPattern(prefix string) (string, error) {
	if err := apikey.ValidatePrefix(prefix); err != nil {
		return "", err
	}
	return `\b` + prefix + `_[0-9A-Za-z]{` + strconv.Itoa(keyBodyLen) + `}\b`, nil
}

// KeyRegexp matches keys with the default prefix "sa".
var KeyRegexp = regexp.MustCompile(mustPattern(apikey.DefaultPrefix))

func mustPattern(prefix string) string {
	p, err := KeyPattern(prefix)
	if err != nil {
		panic(err)
	}
	return p
}
