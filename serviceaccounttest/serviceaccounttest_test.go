package serviceaccounttest_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccounttest"
)

func TestNewGivesAWorkingKeyWithTheGrants(t *testing.T) {
	m, key := serviceaccounttest.New(t,
		serviceaccounttest.Grant("study", "tekenradar", "get-responses", `[{"surveyKey":"weekly"}]`),
		serviceaccounttest.Grant("users", "*", "delete-users"),
	)
	require.NoError(t, apikey.Parse(key, m.KeyPrefix()))
	cred, err := m.LookupKey(t.Context(), apikey.HashKey(key))
	require.NoError(t, err)
	set := permission.NewSet(cred.Permissions)
	assert.True(t, set.Allows("study", "tekenradar", "get-responses", limiter.Attributes{{Key: "surveyKey", Value: "weekly"}}))
	assert.False(t, set.Allows("study", "tekenradar", "get-responses", nil))
	assert.True(t, set.Allows("users", "*", "delete-users", nil))
}

// recorder stands in for *testing.T to observe failures.
type recorder struct{ failures []string }

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestNewFailsTheTestOnAnInvalidGrant(t *testing.T) {
	r := &recorder{}
	serviceaccounttest.New(r, serviceaccounttest.Grant("study", "tekenradar", "no-such-action"))
	require.Len(t, r.failures, 1)
	assert.Contains(t, r.failures[0], `unknown action "no-such-action"`)
}
