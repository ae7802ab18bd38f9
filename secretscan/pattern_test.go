package secretscan_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/secretscan"
)

func TestKeyRegexpMatchesGeneratedKeysWhole(t *testing.T) {
	t.Parallel()
	for range 200 {
		key, err := apikey.Generate(apikey.DefaultPrefix)
		require.NoError(t, err)
		require.Equal(t, []string{key}, secretscan.KeyRegexp.FindAllString(key, -1))
		for _, text := range []string{
			"API_KEY=" + key + "\n",
			`{"key":"` + key + `"}`,
			"Authorization: Bearer " + key,
			"export SA_KEY='" + key + "';",
			"https://api.example.com/?key=" + key + "&x=1",
		} {
			require.Equal(t, []string{key}, secretscan.KeyRegexp.FindAllString(text, -1), text)
		}
	}
}

func TestKeyPatternFollowsThePrefix(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"a", "live", "x9", "abcdefghij"} {
		p, err := secretscan.KeyPattern(prefix)
		require.NoError(t, err)
		re := regexp.MustCompile(p)
		key, err := apikey.Generate(prefix)
		require.NoError(t, err)
		require.Len(t, key, len(prefix)+1+49, "the pattern's length must follow apikey's format")
		require.Equal(t, key, re.FindString("k="+key))
		other, err := apikey.Generate("other")
		require.NoError(t, err)
		require.False(t, re.MatchString(other))
	}
	for _, bad := range []string{"", "SA", "s_a", "abcdefghijk", `a|.*`} {
		_, err := secretscan.KeyPattern(bad)
		require.Error(t, err, bad)
	}
}

func TestKeyRegexpRefusesNearMisses(t *testing.T) {
	t.Parallel()
	key, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(t, err)
	body := key[3:]
	for name, text := range map[string]string{
		"one character short":       key[:len(key)-1],
		"one character long":        key + "x",
		"uppercase prefix":          "SA_" + body,
		"other prefix":              "sk_" + body,
		"no underscore":             "sa" + body,
		"dash inside":               "sa_" + body[:20] + "-" + body[21:],
		"part of a longer word":     "xsa_" + body,
		"after an underscore":       "my_sa_" + body,
		"followed by an underscore": key + "_",
		"a webhook secret":          "whsec_" + strings.Repeat("A", 44),
		"empty":                     "",
	} {
		require.False(t, secretscan.KeyRegexp.MatchString(text), name)
	}
}
