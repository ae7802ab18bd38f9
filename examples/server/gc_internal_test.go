package main

import (
	"io"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// The server's GC target applies unless the operator set GOGC or
// GOMEMLIMIT. Not parallel: the target is the process's.
func TestTheGCTargetYieldsToTheOperatorsEnvironment(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}

	require.True(t, applyGCTarget(400, env(nil)))
	require.Equal(t, 400, debug.SetGCPercent(100))

	for _, vars := range []map[string]string{{"GOGC": "150"}, {"GOMEMLIMIT": "512MiB"}, {"GOGC": "off"}} {
		require.False(t, applyGCTarget(400, env(vars)), "%v", vars)
		require.Equal(t, 100, debug.SetGCPercent(100), "%v", vars)
	}
}

func TestTheGCPercentFlagDefaultsTo400AndMustBePositive(t *testing.T) {
	getenv := func(k string) string {
		if k == "ADMIN_TOKEN" {
			return "adm_0123456789abcdef"
		}
		return ""
	}
	cfg, err := parseFlags(nil, getenv, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 400, cfg.gcPercent)
	cfg, err = parseFlags([]string{"-gc-percent", "200"}, getenv, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 200, cfg.gcPercent)
	_, err = parseFlags([]string{"-gc-percent", "0"}, getenv, io.Discard)
	require.ErrorIs(t, err, errUsage)
}
