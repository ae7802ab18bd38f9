package main

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServiceNameFlag(t *testing.T) {
	getenv := func(string) string { return "" }
	cfg, err := parseFlags([]string{"-db", "memory:", "-admin-token", "0123456789abcdef"}, getenv, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "serviceaccounts-example", cfg.serviceName)

	cfg, err = parseFlags([]string{"-db", "memory:", "-admin-token", "0123456789abcdef", "-service-name", "billing-keys"}, getenv, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "billing-keys", cfg.serviceName)

	var stderr strings.Builder
	_, err = parseFlags([]string{"-db", "memory:", "-admin-token", "0123456789abcdef", "-service-name", " "}, getenv, &stderr)
	require.ErrorIs(t, err, errUsage)
	assert.Contains(t, stderr.String(), "-service-name")
}
