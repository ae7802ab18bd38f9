package middleware

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// readQuery must agree with what a handler reading r.URL.Query() sees.
func TestQueryValueAgreesWithParseQuery(t *testing.T) {
	names := []string{"surveyKey", "survey key", "a", "", "k;", "b"}
	for _, raw := range queryCorpus {
		for _, name := range names {
			requireSameAsParseQuery(t, raw, name)
		}
		// A route reading several parameters reads them in the same pass.
		requireSameAsParseQuery(t, raw, names...)
	}
}

var queryCorpus = []string{
	"",
	"surveyKey=s1",
	"surveyKey=s1&surveyKey=s2",
	"x=1&surveyKey=s2",
	"surveyKey",
	"surveyKey=",
	"surveyKey=a=b",
	"survey+key=s%31",
	"survey%20key=s+1",
	"surveyKey=%zz&surveyKey=ok",
	"survey%zzKey=x&surveyKey=ok",
	"surveyKey=s1;x=2&surveyKey=s2",
	"a=1&&a=2",
	"=1&a",
	"k%3B=v",
	"b=%e2%82%ac",
	"surveyKey=s1%",
	"surveyKey=s1%4",
	"surveyKey=%4g",
	"surveyKey=%%31",
	"surveyKey=s1&surveyKey=%ff",
	"surveyKey=s1;",
	";surveyKey=s1",
	"surveyKey=s%3Bx",
	"surveyKey=intake" + strings.Repeat("&x", 10_000),
	"surveyKey=intake" + strings.Repeat("&x", 9_999),
	strings.Repeat("&", 64) + "surveyKey=s1",
	strings.Repeat("x&", 65) + "surveyKey=s1",
	strings.Repeat("x=1&", 10_000) + "surveyKey=intake",
}

// requireSameAsParseQuery checks that Require lets a query through only
// when url.ParseQuery parses it without dropping anything, and that it then
// reads the values r.URL.Query() gives the handler.
func requireSameAsParseQuery(t *testing.T, raw string, names ...string) {
	t.Helper()
	values, err := url.ParseQuery(raw) // r.URL.Query() ignores the error
	vals := make([]string, len(names))
	found, clean := readQuery(raw, probeSmallQueryLimit(), names, vals)
	require.Equal(t, err == nil, clean, "query %.80q…: ParseQuery error %v", raw, err)
	if err != nil {
		return // Require answers 400
	}
	for i, name := range names {
		if slices.Index(names, name) < i {
			continue // a route reads each parameter once
		}
		require.Equal(t, values.Has(name), found&(1<<i) != 0, "query %q, name %q", raw, name)
		require.Equal(t, values.Get(name), vals[i], "query %q, name %q", raw, name)
	}
}

func FuzzQueryValue(f *testing.F) {
	for _, raw := range queryCorpus {
		if len(raw) > 1000 {
			// The queries past the parameter limit stay in the unit test:
			// as seeds, the fuzzer spends its minute minimizing them.
			continue
		}
		f.Add(raw, "surveyKey", "x")
	}
	// Two names: a route may read several parameters, in one pass.
	f.Fuzz(func(t *testing.T, raw, name, other string) {
		requireSameAsParseQuery(t, raw, name, other)
	})
}

func TestQueryValueAllocatesNothingForAPlainPair(t *testing.T) {
	most := strings.Repeat("x=1&", smallQuery-1) + "x=1"
	names, vals := []string{"surveyKey", "x"}, make([]string, 2)
	allocs := testing.AllocsPerRun(100, func() {
		readQuery("x=1&y=s%31", smallQuery, names, vals)
		readQuery(most, smallQuery, names, vals)
		readQuery("x=1&surveyKey=s1", smallQuery, names, vals)
	})
	require.Zero(t, allocs)
}

func TestTouchNeverMovesBackwards(t *testing.T) {
	var u usageRecorder
	e := &entry{cached: true, principal: Principal{KeyID: uuid.New()}}
	u.touch(e, t0.Add(2*time.Second).UnixMicro())
	u.touch(e, t0.Add(time.Second).UnixMicro()) // a request that read the clock earlier
	require.Len(t, u.queued, 1, "queued once per interval")

	batch := u.take()
	require.Equal(t, []serviceaccount.KeyTouch{{KeyID: e.principal.KeyID, UsedAt: t0.Add(2 * time.Second)}}, batch)

	// A failed batch merged with later uses keeps the later time, and an
	// older failed time does not overwrite a newer use.
	u.touch(e, t0.Add(3*time.Second).UnixMicro())
	u.giveBack([]serviceaccount.KeyTouch{{KeyID: e.principal.KeyID, UsedAt: t0.Add(4 * time.Second)}})
	require.Equal(t, t0.Add(4*time.Second), u.take()[0].UsedAt)
	u.touch(e, t0.Add(6*time.Second).UnixMicro())
	u.giveBack([]serviceaccount.KeyTouch{{KeyID: e.principal.KeyID, UsedAt: t0.Add(5 * time.Second)}})
	require.Equal(t, t0.Add(6*time.Second), u.take()[0].UsedAt)
	require.Empty(t, u.take())
}

func TestTakeOrdersTheBatchByKeyID(t *testing.T) {
	var u usageRecorder
	for range 20 {
		u.touch(&entry{cached: true, principal: Principal{KeyID: uuid.New()}}, t0.UnixMicro())
	}
	batch := u.take()
	require.Len(t, batch, 20)
	for i := 1; i < len(batch); i++ {
		require.Less(t, batch[i-1].KeyID.String(), batch[i].KeyID.String())
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// An operator may lower net/url's parameter limit below smallQuery with
// GODEBUG urlmaxqueryparams; r.URL.Query() then drops a whole query of
// more parameters, so Require must refuse it rather than read a value the
// handler cannot see (a limiter bypass). The setting can change while the
// process runs (os.Setenv), so it is set here, in the middle of the test.
func TestQueryValueFollowsALowGODEBUGParameterLimit(t *testing.T) {
	for _, limit := range []string{"1", "5", "20", "64", "65", "0", "-1", "x"} {
		t.Run(limit, func(t *testing.T) {
			t.Setenv("GODEBUG", "urlmaxqueryparams="+limit)
			for _, raw := range queryCorpus {
				requireSameAsParseQuery(t, raw, "surveyKey")
			}
			for n := 1; n <= 70; n++ {
				requireSameAsParseQuery(t, "surveyKey=intake"+strings.Repeat("&x", n-1), "surveyKey")
			}
		})
	}
}
