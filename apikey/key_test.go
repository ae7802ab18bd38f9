package apikey_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

func TestKeyExpired(t *testing.T) {
	t.Parallel()
	expiresAt := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	expiring := apikey.Key{ExpiresAt: &expiresAt}

	assert.False(t, apikey.Key{}.Expired(expiresAt), "no expiry never expires")
	assert.False(t, apikey.Key{}.Expired(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)))
	assert.False(t, expiring.Expired(expiresAt.Add(-time.Nanosecond)), "one nanosecond before")
	assert.True(t, expiring.Expired(expiresAt), "at the expiry instant")
	assert.True(t, expiring.Expired(expiresAt.Add(time.Nanosecond)), "one nanosecond after")
	assert.True(t, expiring.Expired(expiresAt.In(time.FixedZone("UTC+5", 5*3600))), "same instant in another zone")
	assert.False(t, expiring.Expired(expiresAt.Add(-time.Hour).In(time.FixedZone("UTC+5", 5*3600))))
}
