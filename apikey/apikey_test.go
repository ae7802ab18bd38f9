package apikey_test

import (
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// checksumOf is an independent implementation of the checksum rule, so the
// tests do not trust the code under test to define it.
func checksumOf(s string) string {
	v := crc32.ChecksumIEEE([]byte(s))
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return string(out[:])
}

// withChecksum builds a key with a correct checksum around any body, to
// test the checks that come before the checksum.
func withChecksum(prefix, random string) string {
	s := prefix + "_" + random
	return s + checksumOf(s)
}

func generate(t testing.TB, prefix string) string {
	t.Helper()
	key, err := apikey.Generate(prefix)
	require.NoError(t, err)
	return key
}

func TestGenerateThenParseRoundTrips(t *testing.T) {
	t.Parallel()
	for range 200 {
		key := generate(t, apikey.DefaultPrefix)
		require.Len(t, key, 52)
		require.True(t, strings.HasPrefix(key, "sa_"))
		for _, c := range key[3:] {
			require.Contains(t, base62, string(c))
		}
		require.Equal(t, checksumOf(key[:46]), key[46:])
		require.NoError(t, apikey.Parse(key, apikey.DefaultPrefix))
	}
}

func TestGenerateReturnsDifferentKeys(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 1000 {
		key := generate(t, apikey.DefaultPrefix)
		require.False(t, seen[key], "duplicate key")
		seen[key] = true
	}
}

func TestGenerateAndParseWorkWithCustomPrefixes(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"a", "7", "live", "x9", "abcdefghij"} {
		t.Run(prefix, func(t *testing.T) {
			t.Parallel()
			key := generate(t, prefix)
			require.Len(t, key, len(prefix)+1+43+6)
			require.True(t, strings.HasPrefix(key, prefix+"_"))
			require.NoError(t, apikey.Parse(key, prefix))

			other := "sa"
			if prefix == "sa" {
				other = "live"
			}
			require.ErrorIs(t, apikey.Parse(key, other), apikey.ErrMalformed)
		})
	}
}

func TestGenerateRejectsInvalidPrefix(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "SA", "s_a", "abcdefghijk"} {
		key, err := apikey.Generate(prefix)
		require.Error(t, err, "prefix %q", prefix)
		require.Empty(t, key)
	}
}

func TestParseRejectsMalformedKeys(t *testing.T) {
	t.Parallel()
	key := generate(t, apikey.DefaultPrefix)
	random := key[3:46]
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == c {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}

	tests := []struct {
		name   string
		key    string
		reason string
	}{
		{"Empty", "", "wrong prefix"},
		{"PrefixOnly", "sa", "wrong prefix"},
		{"PrefixAndUnderscoreOnly", "sa_", "wrong length"},
		{"WrongPrefix", "xy" + key[2:], "wrong prefix"},
		{"UppercasePrefix", "SA" + key[2:], "wrong prefix"},
		{"OtherLongerPrefix", withChecksum("live", random), "wrong prefix"},
		{"PrefixWithExtraLetter", withChecksum("sab", random[1:]), "wrong prefix"},
		{"MissingUnderscore", "sa" + key[3:], "wrong prefix"},
		{"UnderscoreReplaced", "sa-" + key[3:], "wrong prefix"},
		{"TooShortByOne", key[:len(key)-1], "wrong length"},
		{"TooLongByOne", key + "0", "wrong length"},
		{"TooShortWithValidChecksum", withChecksum("sa", random[1:]), "wrong length"},
		{"TooLongWithValidChecksum", withChecksum("sa", random+"0"), "wrong length"},
		{"Hyphen", withChecksum("sa", random[:42]+"-"), "character outside"},
		{"Plus", withChecksum("sa", "+"+random[1:]), "character outside"},
		{"Underscore", withChecksum("sa", random[:20]+"_"+random[21:]), "character outside"},
		{"Space", withChecksum("sa", random[:20]+" "+random[21:]), "character outside"},
		{"NUL", withChecksum("sa", random[:20]+"\x00"+random[21:]), "character outside"},
		{"NonASCII", withChecksum("sa", random[:41]+"é"), "character outside"},
		{"NonASCIIInChecksum", key[:50] + "é", "character outside"},
		{"FlippedRandomChar", flip(key, 10), "checksum mismatch"},
		{"FlippedFirstRandomChar", flip(key, 3), "checksum mismatch"},
		{"FlippedChecksumChar", flip(key, 51), "checksum mismatch"},
		{"SwappedAdjacentChars", key[:10] + key[11:12] + key[10:11] + key[12:], "checksum mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.key == key {
				t.Skip("mutation left the key unchanged")
			}
			err := apikey.Parse(tt.key, apikey.DefaultPrefix)
			require.ErrorIs(t, err, apikey.ErrMalformed)
			assert.Contains(t, err.Error(), tt.reason)
			assert.NotContains(t, err.Error(), random[:8], "error must not echo the key")
		})
	}
}

func TestParseRejectsInvalidPrefixAsConfigurationError(t *testing.T) {
	t.Parallel()
	key := generate(t, apikey.DefaultPrefix)
	for _, prefix := range []string{"", "SA", "sa_"} {
		err := apikey.Parse(key, prefix)
		require.Error(t, err, "prefix %q", prefix)
		require.NotErrorIs(t, err, apikey.ErrMalformed)
	}
	// An empty prefix must not turn "_<body>" into a valid key.
	require.Error(t, apikey.Parse(withChecksum("", key[3:46]), ""))
}

func TestParseDoesNotAllocate(t *testing.T) {
	key := generate(t, apikey.DefaultPrefix)
	allocs := testing.AllocsPerRun(100, func() {
		if err := apikey.Parse(key, apikey.DefaultPrefix); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)

	bad := key[:len(key)-1] + "!"
	allocs = testing.AllocsPerRun(100, func() {
		if apikey.Parse(bad, apikey.DefaultPrefix) == nil {
			t.Fatal("accepted a bad key")
		}
	})
	require.Zero(t, allocs, "rejecting garbage should not allocate either")
}

func TestValidatePrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix string
		errMsg string // "" = valid
	}{
		{"sa", ""},
		{"a", ""},
		{"0", ""},
		{"live2", ""},
		{"abcdefghij", ""},
		{"", "prefix is empty"},
		{"abcdefghijk", "prefix is 11 characters long; at most 10"},
		{"SA", `prefix has 'S' at byte 0; only a-z and 0-9`},
		{"sA", `prefix has 'A' at byte 1`},
		{"s_a", `prefix has '_' at byte 1`},
		{"sa-", `prefix has '-' at byte 2`},
		{"sä", `prefix has 'ä' at byte 1`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.prefix), func(t *testing.T) {
			t.Parallel()
			err := apikey.ValidatePrefix(tt.prefix)
			if tt.errMsg == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.errMsg)
			require.NotErrorIs(t, err, apikey.ErrMalformed)
		})
	}
}

func TestHint(t *testing.T) {
	t.Parallel()
	key := generate(t, apikey.DefaultPrefix)
	hint := apikey.Hint(key)
	require.Equal(t, key[:7]+"…"+key[48:], hint)
	require.Equal(t, 12, utf8.RuneCountInString(hint))

	custom := generate(t, "live")
	require.Equal(t, "live_"+custom[5:9]+"…"+custom[len(custom)-4:], apikey.Hint(custom))

	fixed := "sa_AbCd" + strings.Repeat("0", 39) + "12wxyz"
	require.Equal(t, "sa_AbCd…wxyz", apikey.Hint(fixed))
}

func TestHintReturnsEmptyForNonKeys(t *testing.T) {
	t.Parallel()
	key := generate(t, apikey.DefaultPrefix)
	for _, s := range []string{"", "_", "sa_", "sa_short", key[3:], key[:51], key + "x", "_" + key[3:]} {
		require.Empty(t, apikey.Hint(s), "input of length %d", len(s))
	}
}
