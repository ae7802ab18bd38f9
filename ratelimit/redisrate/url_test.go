package redisrate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit/redisrate"
)

func TestRedactURLMasksEveryPassword(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"redis://app:s3cret@redis.internal:6379/2", "redis://app:xxxxx@redis.internal:6379/2"},
		{"rediss://:s3cret@redis.internal", "rediss://:xxxxx@redis.internal"},
		{"redis://redis.internal:6379/0", "redis://redis.internal:6379/0"},
		{"unix://app:s3cret@/run/redis.sock?db=1", "unix://app:xxxxx@/run/redis.sock?db=1"},
		{"redis://redis.internal/0?password=s3cret", "redis://redis.internal/0?password=xxxxx"},
		// Unparseable: only the scheme survives.
		{"redis://app:s3cret@host:port/0", "redis:…"},
		{"redis://app:s3%zzcret@host/0", "redis:…"},
		{"app:s3cret@host", "app:…"},
		{"s3cret@host/a:b", "…"},
		// A raw '/', '?' or '#' in the password ends the authority early:
		// what follows it, '@' included, is still the password.
		{"redis://:123/s3cret@host:6379", "redis:…"},
		{"redis://app:12?s3cret@host:6379", "redis:…"},
		{"rediss://app:12#s3cret@host:6379", "rediss:…"},
		{"unix://:12/s3cret@/run/redis.sock", "unix:…"},
		// A socket path's own '@' holds no secret.
		{"unix:///run/redis@main.sock", "unix:///run/redis@main.sock"},
	}
	for _, tc := range tests {
		got := redisrate.RedactURL(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.NotContains(t, got, "s3cret")
	}
}

func TestNewFromURLMasksThePasswordInEveryError(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-pass"
	tests := []struct{ url, want string }{
		{"redis://app:" + secret + "@host:port/0", "does not parse"},
		{"redis://app:" + secret + "%zz@host/0", "does not parse"},
		{"http://app:" + secret + "@host/0", "scheme must be redis"},
		{"redis://app:" + secret + "@host/notadb", "invalid database number"},
		{"redis://app:" + secret + "@host/0?dial_timeout=" + secret, "invalid dial_timeout"},
		{"redis://app:" + secret + "@host/0?password=" + secret, "unexpected option"},
		{"redis://app:" + secret + "@host/0/1", "invalid URL path"},
		{"unix://app:" + secret + "@", "empty unix socket path"},
		// A raw '/', '?' or '#' in the password: go-redis would read the
		// rest as the database, an option or nothing at all.
		{"redis://app:123/" + secret + "@host:6379/0", "percent-encode"},
		{"redis://:123/" + secret + "@host:6379", "percent-encode"},
		{"redis://app:12?" + secret + "@host:6379", "percent-encode"},
		{"redis://app:12#" + secret + "@host:6379", "percent-encode"},
	}
	for _, tc := range tests {
		_, err := redisrate.NewFromURL(tc.url, redisrate.Config{})
		require.Error(t, err, tc.url)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestNewFromURLTakesASocketPathWithAnAt(t *testing.T) {
	t.Parallel()
	l, err := redisrate.NewFromURL("unix:///run/redis@main.sock", redisrate.Config{})
	require.NoError(t, err)
	require.NoError(t, l.Close())
}

func TestNewFromURLValidatesTheConfigToo(t *testing.T) {
	t.Parallel()
	_, err := redisrate.NewFromURL("redis://127.0.0.1:6379/0", redisrate.Config{Namespace: "bad:ns"})
	require.ErrorContains(t, err, "Namespace")
	l, err := redisrate.NewFromURL("redis://127.0.0.1:6379/0", redisrate.Config{})
	require.NoError(t, err)
	require.NoError(t, l.Close())
}
