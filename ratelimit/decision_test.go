package ratelimit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
)

// NewDecision is what a shared limiter turns its stored state into; its
// numbers must be those the in-process limiter gives for the same backlog.
func TestNewDecisionDerivesTheNumbersFromTheBacklog(t *testing.T) {
	t.Parallel()
	limit := ratelimit.Limit{Count: 10, Period: time.Minute} // 6 s an interval
	tests := []struct {
		name       string
		allowed    bool
		backlog    time.Duration
		remaining  int
		retryAfter time.Duration
	}{
		{"FirstOfABurst", true, 6 * time.Second, 9, 0},
		{"PartlyRefilled", true, 20 * time.Second, 6, 0},
		{"LastOfABurst", true, 60 * time.Second, 0, 6 * time.Second},
		{"AllowedWithLessThanAnIntervalLeft", true, 57 * time.Second, 0, 3 * time.Second},
		{"Refused", false, 60 * time.Second, 0, 6 * time.Second},
		{"RefusedAlmostRefilled", false, 54*time.Second + time.Microsecond, 0, time.Microsecond},
		{"NegativeBacklogIsAFullBudget", true, -time.Second, 10, 0},
	}
	for _, tc := range tests {
		d := ratelimit.NewDecision(limit, tc.allowed, tc.backlog)
		assert.Equal(t, tc.allowed, d.Allowed, tc.name)
		assert.Equal(t, limit, d.Limit, tc.name)
		assert.Equal(t, tc.remaining, d.Remaining, tc.name)
		assert.Equal(t, tc.retryAfter, d.RetryAfter, tc.name)
		assert.Equal(t, max(tc.backlog, 0), d.Reset, tc.name)
	}
}

func TestKeyPrintsAsHex(t *testing.T) {
	t.Parallel()
	k := ratelimit.Key{0xab, 15: 0x01}
	want := "ab" + strings.Repeat("0", 28) + "01"
	assert.Equal(t, want, k.String())
	assert.Equal(t, "x:"+want, string(k.AppendHex([]byte("x:"))))
}
