package apikey_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

func TestRedactKeyLikeRemovesKeysAndLongPartsOfThem(t *testing.T) {
	k, err := apikey.Generate(apikey.DefaultPrefix)
	require.NoError(t, err)
	id := "01a22426-e988-799e-bc99-73741a00ae42"
	for _, tc := range []struct{ in, want string }{
		{"/admin/service-accounts/" + k, "/admin/service-accounts/[redacted]"},
		{"/admin/service-accounts/" + id + "/api-keys/" + k + "/rotate", "/admin/service-accounts/" + id + "/api-keys/[redacted]/rotate"},
		{"/x/" + k[3:40] + "/y", "/x/[redacted]/y"}, // a truncated paste without its prefix
		{k + "," + k, "[redacted],[redacted]"},
		{"Bearer " + k, "Bearer [redacted]"},
	} {
		got := apikey.RedactKeyLike(tc.in)
		assert.Equal(t, tc.want, got)
		assert.NotContains(t, got, k[3:40])
	}
}

func TestRedactKeyLikeKeepsIdsAndWords(t *testing.T) {
	for _, s := range []string{
		"",
		"/admin/service-accounts/01a22426-e988-799e-bc99-73741a00ae42/api-keys",
		"/v1/studies/tekenradar/responses",
		strings.Repeat("a", 36),
		"/" + strings.Repeat("x", 36) + "/" + strings.Repeat("y", 36),
	} {
		assert.Equal(t, s, apikey.RedactKeyLike(s))
	}
	assert.Equal(t, "[redacted]", apikey.RedactKeyLike(strings.Repeat("a", 37)))
}

func TestRedactKeyLikeDoesNotAllocateForCleanText(t *testing.T) {
	p := "/admin/service-accounts/01a22426-e988-799e-bc99-73741a00ae42/api-keys"
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = apikey.RedactKeyLike(p) }))
}
