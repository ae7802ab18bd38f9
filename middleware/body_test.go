package middleware_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

// reportsRoute is the reported bypass: an account may read report1 of
// study s1 only, the route checks the reportKey of the JSON body, and the
// handler decodes the body with encoding/json, as handlers do.
func reportsRoute(t *testing.T) (f *fixture, key string, h http.Handler, seen *[]string) {
	t.Helper()
	f = newFixture(t)
	a := f.createAccount("Reports")
	f.addPermission(a, "study", "s1", "get-reports", `[{"reportKey":"report1"}]`)
	key = f.createKey(a, nil).Plaintext
	seen = new([]string)
	h = routed(f, "POST /reports",
		middleware.Require("study", middleware.Fixed("s1"), "get-reports",
			middleware.Attr("reportKey", middleware.JSONBody("reportKey"))),
		func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				ReportKey string `json:"reportKey"`
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			*seen = append(*seen, in.ReportKey)
		})
	return f, key, h, seen
}

func TestRequireRejectsABodyThatRepeatsAKey(t *testing.T) {
	for name, c := range map[string]struct {
		body, detail string
	}{
		"SameKeyTwice": {
			`{"reportKey":"report1","reportKey":"secret"}`,
			`ambiguous JSON body: key "reportKey" appears more than once in one object`,
		},
		"OtherCase": {
			`{"reportKey":"report1","REPORTKEY":"secret"}`,
			`ambiguous JSON body: keys "reportKey" and "REPORTKEY" in one object are the same key to a JSON decoder, which ignores case`,
		},
		"OtherCaseFirst": {
			`{"reportkey":"secret","reportKey":"report1"}`,
			`keys "reportkey" and "reportKey"`,
		},
		// U+212A KELVIN SIGN folds to k: encoding/json fills ReportKey
		// from it.
		"KelvinSign": {
			`{"reportKey":"report1","report` + "\u212a" + `ey":"secret"}`,
			`keys "reportKey" and "report` + "\u212a" + `ey"`,
		},
		"Escaped": {
			`{"reportKey":"report1","report\u004bey":"secret"}`,
			`key "reportKey" appears more than once`,
		},
		"EscapedKelvinSign": {
			`{"reportKey":"report1","report\u212Aey":"secret"}`,
			`keys "reportKey" and "report` + "\u212a" + `ey"`,
		},
		// The check covers every object, not only the keys the route reads.
		"NestedObject": {
			`{"reportKey":"report1","filter":{"from":1,"to":2,"From":3}}`,
			`keys "from" and "From"`,
		},
		"ObjectInAnArray": {
			`{"reportKey":"report1","items":[{"a":1},{"b":1,"b":2}]}`,
			`key "b" appears more than once`,
		},
		"ManyKeys": {
			`{"reportKey":"report1",` + manyKeys(100) + `,"REPORTKEY":"secret"}`,
			`keys "reportKey" and "REPORTKEY"`,
		},
		"ManyKeysRepeatedLate": {
			`{` + manyKeys(100) + `,"K57":0,"reportKey":"report1"}`,
			`keys "k57" and "K57"`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, key, h, seen := reportsRoute(t)
			w := serve(h, request(http.MethodPost, "/reports", key, strings.NewReader(c.body)))

			detail := requireProblem(t, w, http.StatusBadRequest)
			require.Contains(t, detail, c.detail)
			require.NotContains(t, w.Body.String(), "secret", "values are never echoed")
			require.Empty(t, *seen, "the handler is not reached")
			require.Empty(t, w.Header().Get("WWW-Authenticate"))
		})
	}
}

func manyKeys(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = `"k` + strings.Repeat("x", i%3) + string(rune('0'+i/10)) + string(rune('0'+i%10)) + `":0`
	}
	return strings.Join(keys, ",")
}

// Keys that are equal in different objects, or differ other than in
// case, are not ambiguous: the body reaches the handler intact.
func TestRequireAcceptsEqualKeysInDifferentObjects(t *testing.T) {
	for name, body := range map[string]string{
		"NestedSameName":  `{"reportKey":"report1","other":{"reportKey":"x"}}`,
		"ArrayOfObjects":  `{"reportKey":"report1","items":[{"a":1,"b":2},{"a":3,"b":4}]}`,
		"KeyInAString":    `{"reportKey":"report1","note":"\"reportKey\":\"secret\", {\"a\":1,\"a\":2}"}`,
		"ValuesEqual":     `{"reportKey":"report1","alias":"report1"}`,
		"NearlyEqualKeys": `{"reportKey":"report1","reportKey1":"x","report_key":"y"}`,
		"ManyKeys":        `{"reportKey":"report1",` + manyKeys(100) + `}`,
		"EscapedQuotes":   `{"a\"b":1,"a\\":2,"reportKey":"report1","a\\\"":3}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, key, h, seen := reportsRoute(t)
			w := serve(h, request(http.MethodPost, "/reports", key, strings.NewReader(body)))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Equal(t, []string{"report1"}, *seen)
		})
	}
}

// The resource key read from the body is protected the same way.
func TestRequireRejectsABodyThatRepeatsTheResourceKey(t *testing.T) {
	f := newFixture(t)
	h := routed(f, "POST /responses",
		middleware.Require("study", middleware.JSONBody("study"), "get-responses",
			middleware.Attr("surveyKey", middleware.Query("surveyKey"))), ok)
	for body, want := range map[string]int{
		`{"study":"tekenradar"}`:                   http.StatusOK,
		`{"study":"tekenradar","Study":"other"}`:   http.StatusBadRequest,
		`{"study":"tekenradar","study":"other"}`:   http.StatusBadRequest,
		`{"study":"other","study":"tekenradar"}`:   http.StatusBadRequest,
		`{"Study":"tekenradar","study":"unknown"}`: http.StatusBadRequest,
	} {
		w := serve(h, request(http.MethodPost, "/responses?surveyKey=s1", f.key, strings.NewReader(body)))
		require.Equal(t, want, w.Code, "%s: %s", body, w.Body)
	}
}

// An ErrorHandler can tell the ambiguous body apart.
func TestErrorHandlerReceivesErrAmbiguousBody(t *testing.T) {
	var got error
	f := newFixture(t, func(c *middleware.Config) {
		c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			middleware.WriteProblem(w, r, err)
		}
	})
	h := routed(f, "POST /responses",
		middleware.Require("study", middleware.Fixed("tekenradar"), "get-responses",
			middleware.Attr("surveyKey", middleware.JSONBody("surveyKey"))), ok)
	w := serve(h, request(http.MethodPost, "/responses", f.key, strings.NewReader(`{"surveyKey":"s1","surveyKey":"s9"}`)))

	requireProblem(t, w, http.StatusBadRequest)
	require.ErrorIs(t, got, middleware.ErrAmbiguousBody)
	require.Equal(t, `middleware: ambiguous JSON body: key "surveyKey" appears more than once in one object`, got.Error())
	require.False(t, errors.Is(got, middleware.ErrUnreadableBody))
}

// A key name is attacker-chosen and up to MaxBodyBytes long: the detail
// quotes its start only.
func TestTheAmbiguousBodyDetailShortensLongKeys(t *testing.T) {
	f := newFixture(t)
	h := routed(f, "POST /responses",
		middleware.Require("study", middleware.Fixed("tekenradar"), "get-responses",
			middleware.Attr("surveyKey", middleware.JSONBody("surveyKey"))), ok)
	long := strings.Repeat("é", 40_000)
	body := `{"surveyKey":"s1","` + long + `":1,"` + long + `":2}`
	w := serve(h, request(http.MethodPost, "/responses", f.key, strings.NewReader(body)))

	detail := requireProblem(t, w, http.StatusBadRequest)
	require.Less(t, len(w.Body.String()), 300)
	require.Equal(t, `ambiguous JSON body: key "`+strings.Repeat("é", 32)+`"… appears more than once in one object`, detail)
}

// Nesting deeper than encoding/json accepts is not JSON to a handler: every
// JSONBody value is missing, as for any invalid body, and the scan does not
// blow the stack or take quadratic time.
func TestRequireTreatsTooDeeplyNestedBodiesAsNotJSON(t *testing.T) {
	_, key, h, seen := reportsRoute(t)
	deep := `{"reportKey":"report1","x":` + strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001) + `}`
	w := serve(h, request(http.MethodPost, "/reports", key, strings.NewReader(deep)))
	requireProblem(t, w, http.StatusForbidden)

	// Within the limit (1 + 2×4 999 + 1 levels), a repeated key deep down
	// is found.
	nested := `{"reportKey":"report1","x":` + strings.Repeat(`[{"a":`, 4_999) + `{"b":1,"B":2}` + strings.Repeat(`}]`, 4_999) + `}`
	w = serve(h, request(http.MethodPost, "/reports", key, strings.NewReader(nested)))
	require.Contains(t, requireProblem(t, w, http.StatusBadRequest), `keys "b" and "B"`)

	// Within the limit and without repeats, it reaches the handler.
	fine := `{"reportKey":"report1","x":` + strings.Repeat(`[{"a":`, 4_999) + `1` + strings.Repeat(`}]`, 4_999) + `}`
	w = serve(h, request(http.MethodPost, "/reports", key, strings.NewReader(fine)))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, []string{"report1"}, *seen)
}
