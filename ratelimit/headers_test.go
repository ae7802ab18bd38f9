package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/seed-c7fc2061/serviceaccounts/ratelimit"
)

func TestWriteHeadersUsesTheExactFieldFormats(t *testing.T) {
	t.Parallel()
	perMinute := ratelimit.Limit{Count: 10, Period: time.Minute}
	perSecond := ratelimit.Limit{Count: 100, Period: time.Second}
	tests := []struct {
		name                          string
		d                             ratelimit.Decision
		policy, rateLimit, retryAfter string
	}{
		{
			name:      "AllowedWithBudgetLeft",
			d:         ratelimit.Decision{Allowed: true, Limit: perMinute, Remaining: 9, Reset: 6 * time.Second},
			policy:    `"default";q=10;w=60`,
			rateLimit: `"default";r=9;t=0`,
		},
		{
			name:      "AllowedLastOfTheBudgetRoundsTheWaitUp",
			d:         ratelimit.Decision{Allowed: true, Limit: perMinute, RetryAfter: 5*time.Second + time.Microsecond},
			policy:    `"default";q=10;w=60`,
			rateLimit: `"default";r=0;t=6`,
		},
		{
			name:       "RefusedSaysWhenToRetry",
			d:          ratelimit.Decision{Limit: perMinute, RetryAfter: 6 * time.Second},
			policy:     `"default";q=10;w=60`,
			rateLimit:  `"default";r=0;t=6`,
			retryAfter: "6",
		},
		{
			name:       "RefusedForLessThanASecondStillSaysOne",
			d:          ratelimit.Decision{Limit: perSecond, RetryAfter: 10 * time.Millisecond},
			policy:     `"default";q=100;w=1`,
			rateLimit:  `"default";r=0;t=1`,
			retryAfter: "1",
		},
		{
			name:       "RefusedWithAZeroWaitStillSaysOne",
			d:          ratelimit.Decision{Limit: perSecond},
			policy:     `"default";q=100;w=1`,
			rateLimit:  `"default";r=0;t=0`,
			retryAfter: "1",
		},
		{
			name:       "LargestBounds",
			d:          ratelimit.Decision{Limit: ratelimit.Limit{Count: 1_000_000, Period: 86_400 * time.Second}, RetryAfter: 86_400 * time.Second},
			policy:     `"default";q=1000000;w=86400`,
			rateLimit:  `"default";r=0;t=86400`,
			retryAfter: "86400",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			ratelimit.WriteHeaders(rec, tc.d)
			h := rec.Header()
			assert.Equal(t, []string{tc.policy}, h.Values("RateLimit-Policy"))
			assert.Equal(t, []string{tc.rateLimit}, h.Values("RateLimit"))
			if tc.retryAfter == "" {
				assert.Empty(t, h.Values("Retry-After"), "an allowed request gets no Retry-After")
			} else {
				assert.Equal(t, []string{tc.retryAfter}, h.Values("Retry-After"))
			}
		})
	}
}

func TestWriteHeadersReplacesEarlierValues(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	rec.Header().Add("RateLimit", "stale")
	ratelimit.WriteHeaders(rec, ratelimit.Decision{Allowed: true, Limit: ratelimit.Limit{Count: 1, Period: time.Second}})
	assert.Equal(t, []string{`"default";r=0;t=0`}, rec.Header().Values("RateLimit"))
}

// The fields survive a real HTTP round trip under the names clients read.
func TestWriteHeadersOverHTTP(t *testing.T) {
	t.Parallel()
	l := newLocal(t, ratelimit.LocalConfig{})
	limit := ratelimit.Limit{Count: 1, Period: 30 * time.Second}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := l.Allow(r.Context(), key(1), limit, t0)
		if err != nil {
			http.Error(w, "limiter failed", http.StatusInternalServerError)
			return
		}
		ratelimit.WriteHeaders(w, d)
		if !d.Allowed {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	get := func() *http.Response {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}
	first := get()
	assert.Equal(t, http.StatusOK, first.StatusCode)
	assert.Equal(t, `"default";r=0;t=30`, first.Header.Get("RateLimit"))
	second := get()
	assert.Equal(t, http.StatusTooManyRequests, second.StatusCode)
	assert.Equal(t, "30", second.Header.Get("Retry-After"))
	assert.Equal(t, `"default";q=1;w=30`, second.Header.Get("RateLimit-Policy"))
}
