package middleware

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryProblemCodeHasAMetricsAttribute keeps the metrics' code lists
// in step with the problem codes: a code missing from both would be
// counted as "internal".
func TestEveryProblemCodeHasAMetricsAttribute(t *testing.T) {
	for _, o := range outcomes {
		require.True(t, slices.Contains(authCodes, o.code) || slices.Contains(authzCodes, o.code),
			"code %q of %v is in neither authCodes nor authzCodes", o.code, o.err)
	}
	require.Equal(t, "internal", authCodes[len(authCodes)-1])
	require.Equal(t, "internal", authzCodes[len(authzCodes)-1])
}
