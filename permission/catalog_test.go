package permission_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
)

func TestDefaultCatalogValidate(t *testing.T) {
	c := permission.DefaultCatalog()
	tests := []struct {
		name                              string
		resourceType, resourceKey, action string
		limiter                           string
		wantField                         string // "" = valid
		wantMessage                       string // substring
	}{
		{"study key with limited action", "study", "tekenradar", "get-responses", `[{"surveyKey":"s1"}]`, "", ""},
		{"all studies, all actions", "study", "*", "*", "", "", ""},
		{"wildcard action may use any limiter key of its type", "study", "*", "*", `[{"reportKey":"r"},{"surveyKey":"s"}]`, "", ""},
		{"reportKey on get-reports", "study", "s", "get-reports", `[{"reportKey":["r1","r2"]}]`, "", ""},
		{"messaging with studyKey limiter", "messaging", "study-email-templates", "*", `[{"studyKey":"tekenradar"}]`, "", ""},
		{"users wildcard", "users", "*", "delete-users", "", "", ""},

		{"unknown type lists the allowed ones", "studies", "x", "get-reports", "", "resourceType", `allowed: "study", "messaging", "users"`},
		{"messaging needs a listed key", "messaging", "*", "*", "", "resourceKey", `"global-email-templates", "study-email-templates", "scheduled-emails", "sms-templates"`},
		{"users only star", "users", "alice", "delete-users", "", "resourceKey", `allowed: "*"`},
		{"empty study key", "study", "", "get-reports", "", "resourceKey", "must not be empty"},
		{"study key with spaces", "study", "my study", "get-reports", "", "resourceKey", "spaces"},
		{"study key with a star inside", "study", "teken*", "get-reports", "", "resourceKey", `"*" alone`},
		{"study key too long", "study", strings.Repeat("k", 101), "get-reports", "", "resourceKey", "at most 100"},
		{"unknown action lists the allowed ones", "study", "s", "get-response", "", "action", `"get-responses"`},
		{"messaging action must be star", "messaging", "sms-templates", "send", "", "action", `allowed: "*"`},
		{"limiter on an action that takes none", "study", "s", "delete-study", `[{"surveyKey":"x"}]`, "limiter", "takes no limiter"},
		{"limiter key the action does not declare", "study", "s", "get-reports", `[{"reportKey":"r"},{"surveyKey":"x"}]`, "limiter[1].surveyKey", `allowed: "reportKey"`},
		{"odd limiter keys are named as the limiter package names them", "study", "s", "get-reports", `[{"report key":"r"}]`, "limiter[0][\"report key\"]", "unknown limiter key"},
		{"users take no limiter", "users", "*", "*", `[{"studyKey":"x"}]`, "limiter", "takes no limiter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l *limiter.Limiter
			if tc.limiter != "" {
				l = limiter.MustParse(tc.limiter)
			}
			errs := c.Validate(tc.resourceType, tc.resourceKey, tc.action, l)
			if tc.wantField == "" {
				require.Empty(t, errs)
				return
			}
			require.NotEmpty(t, errs)
			assert.Equal(t, tc.wantField, errs[0].Field)
			assert.Contains(t, errs[0].Message, tc.wantMessage)
		})
	}
}

func TestValidateReportsEveryBadField(t *testing.T) {
	errs := permission.DefaultCatalog().Validate("messaging", "nope", "send", nil)
	require.Len(t, errs, 2)
	assert.Equal(t, "resourceKey", errs[0].Field)
	assert.Equal(t, "action", errs[1].Field)
}

func TestNewCatalogRejectsInconsistentCatalogs(t *testing.T) {
	ok := permission.ResourceType{ID: "doc", Keys: []string{"*"}, Actions: []permission.Action{{ID: "read"}}}
	tests := map[string][]permission.ResourceType{
		"no types":          nil,
		"type without id":   {{Keys: []string{"*"}, Actions: ok.Actions}},
		"duplicate type":    {ok, ok},
		"no actions":        {{ID: "doc", Keys: []string{"*"}}},
		"no keys at all":    {{ID: "doc", Actions: ok.Actions}},
		"duplicate action":  {{ID: "doc", Keys: []string{"*"}, Actions: []permission.Action{{ID: "read"}, {ID: "read"}}}},
		"duplicate key":     {{ID: "doc", Keys: []string{"a", "a"}, Actions: ok.Actions}},
		"action without id": {{ID: "doc", Keys: []string{"*"}, Actions: []permission.Action{{}}}},
	}
	for name, types := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := permission.NewCatalog(types)
			require.Error(t, err)
		})
	}
}

func TestCustomCatalog(t *testing.T) {
	c, err := permission.NewCatalog([]permission.ResourceType{{
		ID: "bucket", DisplayName: "Bucket", OpenKeys: true,
		Actions: []permission.Action{{ID: "read", LimiterKeys: []string{"prefix"}}, {ID: "write"}},
	}})
	require.NoError(t, err)
	assert.Empty(t, c.Validate("bucket", "logs", "read", limiter.MustParse(`[{"prefix":"2026/"}]`)))
	assert.NotEmpty(t, c.Validate("bucket", "*", "read", nil), "no * key unless listed")
	assert.NotEmpty(t, c.Validate("study", "s", "get-reports", nil), "default types are not included")
}

func TestResourceTypesShowEffectiveWildcardLimiterKeys(t *testing.T) {
	types := permission.DefaultCatalog().ResourceTypes()
	require.Len(t, types, 3)
	study := types[0]
	assert.Equal(t, "Study", study.DisplayName)
	last := study.Actions[len(study.Actions)-1]
	assert.Equal(t, "*", last.ID)
	assert.Equal(t, []string{"reportKey", "surveyKey"}, last.LimiterKeys)

	// Callers get a copy: changing it does not change the catalog.
	types[0].Actions[0].ID = "changed"
	assert.NotEqual(t, "changed", permission.DefaultCatalog().ResourceTypes()[0].Actions[0].ID)

	out, err := json.Marshal(types[2])
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"users","displayName":"Participant Users","resourceKeys":["*"],"openKeys":false,
		"actions":[{"id":"delete-users","limiterKeys":[]},{"id":"*","limiterKeys":[]}]}`, string(out))
}

// A message quotes what the client sent, but only its start: the admin API
// repeats each message in its answer, and a 1 MiB resource type was
// answered with 1.8 MB.
func TestValidateQuotesOnlyTheStartOfLongInput(t *testing.T) {
	c := permission.DefaultCatalog()
	long := strings.Repeat("é", 100_000)
	for _, in := range [][3]string{
		{long, "s", "get-reports"},
		{"study", "s", long},
		{"messaging", long, "*"},
	} {
		errs := c.Validate(in[0], in[1], in[2], nil)
		require.NotEmpty(t, errs)
		for _, e := range errs {
			assert.Less(t, len(e.Message), 1000, "%s: %.100s…", e.Field, e.Message)
			assert.Contains(t, e.Message, strings.Repeat("é", 10), e.Field)
		}
	}
}
