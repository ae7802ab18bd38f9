package middleware_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
)

func TestRequireOfTheMiddlewareServesLikeRequire(t *testing.T) {
	f := newFixture(t)
	h := f.mw.Authenticate(f.mw.Require("study", middleware.PathValue("studyKey"), "get-responses",
		middleware.Attr("surveyKey", middleware.Query("surveyKey")))(http.HandlerFunc(ok)))
	mux := http.NewServeMux()
	mux.Handle("GET /studies/{studyKey}/responses", h)
	require.Equal(t, http.StatusOK, get(mux, "/studies/tekenradar/responses?surveyKey=s1", f.key).Code)
	require.Equal(t, http.StatusForbidden, get(mux, "/studies/tekenradar/responses?surveyKey=s3", f.key).Code)
}

func TestRequireOfTheMiddlewarePanicsOnARouteTheCatalogCannotGrant(t *testing.T) {
	f := newFixture(t)
	study := middleware.PathValue("studyKey")
	for name, tc := range map[string]struct {
		build func()
		want  string
	}{
		"UnknownResourceType": {
			func() { f.mw.Require("studdy", study, "get-responses") },
			`resourceType: unknown resource type "studdy"`,
		},
		"UnknownAction": {
			func() { f.mw.Require("study", study, "get-response") },
			`action: unknown action "get-response" for resource type "study"`,
		},
		"AttributeNoLimiterOfTheActionTests": {
			func() {
				f.mw.Require("study", study, "get-responses", middleware.Attr("reportKey", middleware.Query("reportKey")))
			},
			`attributes: unknown limiter key "reportKey" for action "get-responses"`,
		},
		"AttributeOfAnActionWithoutLimiter": {
			func() {
				f.mw.Require("study", study, "delete-responses", middleware.Attr("surveyKey", middleware.Query("surveyKey")))
			},
			`attributes: action "delete-responses" of resource type "study" takes no limiter`,
		},
		"FixedKeyOfAClosedListItDoesNotHold": {
			func() { f.mw.Require("messaging", middleware.Fixed("nope"), "*") },
			`resourceKey: resource key "nope" is not allowed for resource type "messaging"`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				require.NotNil(t, r, "no panic")
				require.Contains(t, r, tc.want)
				require.Contains(t, r, "not in the Manager's catalog")
			}()
			tc.build()
		})
	}
}

func TestRequireOfTheMiddlewareAcceptsEveryRouteTheCatalogCanGrant(t *testing.T) {
	f := newFixture(t)
	require.NotPanics(t, func() {
		f.mw.Require("study", middleware.PathValue("studyKey"), "get-reports", middleware.Attr("reportKey", middleware.Query("reportKey")))
		f.mw.Require("study", middleware.Fixed("tekenradar"), "get-responses")
		f.mw.Require("study", middleware.Header("X-Study"), "delete-responses")
	})
}
