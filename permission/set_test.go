package permission_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/permission"
)

func perm(resourceType, resourceKey, action, limiterJSON string) permission.Permission {
	p := permission.Permission{ID: uuid.New(), ResourceType: resourceType, ResourceKey: resourceKey, Action: action}
	if limiterJSON != "" {
		p.Limiter = limiter.MustParse(limiterJSON)
	}
	return p
}

func attrs(kv ...string) limiter.Attributes {
	var a limiter.Attributes
	for i := 0; i < len(kv); i += 2 {
		a = append(a, limiter.Attribute{Key: kv[i], Value: kv[i+1]})
	}
	return a
}

// fillers are grants no test request matches: added to a set, they take
// it past the size up to which Allows scans a slice, to its map.
func fillers() []permission.Permission {
	var perms []permission.Permission
	for i := range 9 {
		perms = append(perms, perm("users", fmt.Sprint("u", i), "delete-users", ""))
	}
	return perms
}

// sizes runs a test on a small set of perms (a slice) and on perms with
// fillers (a map).
func sizes(t *testing.T, perms []permission.Permission, test func(t *testing.T, set *permission.Set)) {
	t.Run("small", func(t *testing.T) { test(t, permission.NewSet(perms)) })
	t.Run("large", func(t *testing.T) { test(t, permission.NewSet(append(fillers(), perms...))) })
}

func TestSetAllows(t *testing.T) {
	perms := []permission.Permission{
		perm("study", "tekenradar", "get-responses", `[{"surveyKey":["intake","weekly"]}]`),
		perm("study", "tekenradar", "get-reports", ""),
		perm("study", "*", "read-study-config", ""),
		perm("study", "covid", "*", ""),
		perm("study", "*", "*", `[{"reportKey":"public"}]`),
		perm("messaging", "sms-templates", "*", `[{"studyKey":"tekenradar"}]`),
	}
	tests := []struct {
		name                              string
		resourceType, resourceKey, action string
		attrs                             limiter.Attributes
		want                              bool
	}{
		{"exact grant with matching limiter", "study", "tekenradar", "get-responses", attrs("surveyKey", "weekly"), true},
		{"exact grant with limiter value not listed", "study", "tekenradar", "get-responses", attrs("surveyKey", "exit"), false},
		{"exact grant with the limiter attribute missing", "study", "tekenradar", "get-responses", nil, false},
		{"exact grant without limiter ignores attributes", "study", "tekenradar", "get-reports", attrs("reportKey", "x"), true},
		{"wildcard resource key", "study", "anything", "read-study-config", nil, true},
		{"wildcard action on one key", "study", "covid", "delete-study", nil, true},
		{"wildcard action does not leak to other keys", "study", "other", "delete-study", nil, false},
		{"wildcard key and action narrowed by a limiter, matching", "study", "other", "get-reports", attrs("reportKey", "public"), true},
		{"wildcard key and action narrowed by a limiter, not matching", "study", "other", "get-reports", attrs("reportKey", "secret"), false},
		{"wildcard key and action narrowed by a limiter, attribute absent", "study", "other", "delete-study", nil, false},
		{"other resource type is never granted", "users", "*", "delete-users", nil, false},
		{"messaging with study limiter", "messaging", "sms-templates", "send", attrs("studyKey", "tekenradar"), true},
		{"messaging other study", "messaging", "sms-templates", "send", attrs("studyKey", "covid"), false},
		{"messaging other resource", "messaging", "scheduled-emails", "send", attrs("studyKey", "tekenradar"), false},
		{"empty request names nothing", "", "", "", nil, false},
	}
	sizes(t, perms, func(t *testing.T, set *permission.Set) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				assert.Equal(t, tc.want, set.Allows(tc.resourceType, tc.resourceKey, tc.action, tc.attrs))
			})
		}
	})
}

func TestSetAgreesWithGrantsOfEachPermission(t *testing.T) {
	perms := []permission.Permission{
		perm("study", "a", "x", `[{"k":"1"}]`),
		perm("study", "a", "x", `[{"k":"2"}]`),
		perm("study", "*", "y", ""),
		perm("study", "b", "*", `[{"k":"3"}]`),
		perm("study", "b", "*", ""),
	}
	sizes(t, perms, func(t *testing.T, set *permission.Set) {
		for _, key := range []string{"a", "b", "c", "*"} {
			for _, action := range []string{"x", "y", "z", "*"} {
				for _, v := range []string{"", "1", "2", "3"} {
					var a limiter.Attributes
					if v != "" {
						a = attrs("k", v)
					}
					want := false
					for i := range perms {
						want = want || perms[i].Grants("study", key, action, a)
					}
					assert.Equal(t, want, set.Allows("study", key, action, a), "key=%s action=%s k=%s", key, action, v)
				}
			}
		}
	})
}

func TestEmptySetAllowsNothing(t *testing.T) {
	var nilSet *permission.Set
	assert.False(t, nilSet.Allows("study", "a", "x", nil))
	assert.False(t, permission.NewSet(nil).Allows("study", "a", "x", nil))
	assert.Equal(t, 0, nilSet.Len())
}

func BenchmarkAllows(b *testing.B) {
	b.Run("small", func(b *testing.B) {
		set := permission.NewSet([]permission.Permission{
			perm("study", "tekenradar", "get-reports", `[{"reportKey":["r1","r2"]}]`),
			perm("study", "*", "read-study-config", ""),
			perm("study", "tekenradar", "get-responses", `[{"surveyKey":"a"},{"surveyKey":["b","c","weekly"]}]`),
		})
		benchmarkAllows(b, set)
	})
	b.Run("large", func(b *testing.B) {
		var perms []permission.Permission
		for _, study := range []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "tekenradar"} {
			perms = append(perms,
				perm("study", study, "get-reports", `[{"reportKey":["r1","r2"]}]`),
				perm("study", study, "read-study-config", ""),
			)
		}
		perms = append(perms, perm("study", "tekenradar", "get-responses", `[{"surveyKey":"a"},{"surveyKey":["b","c","weekly"]}]`))
		benchmarkAllows(b, permission.NewSet(perms))
	})
}

func benchmarkAllows(b *testing.B, set *permission.Set) {
	a := limiter.Attributes{{Key: "surveyKey", Value: "weekly"}}
	b.ReportAllocs()
	for b.Loop() {
		if !set.Allows("study", "tekenradar", "get-responses", a) {
			b.Fatal("denied")
		}
	}
}

// TestSetHoldsIgnoresLimiters checks Holds on a small set (a scanned
// slice) and a large one (a map), with exact and wildcard grants.
func TestSetHoldsIgnoresLimiters(t *testing.T) {
	limited := limiter.MustParse(`[{"surveyKey":"intake"}]`)
	for _, extra := range []int{0, 20} {
		perms := []permission.Permission{
			{ResourceType: "study", ResourceKey: "s1", Action: "get-responses", Limiter: limited},
			{ResourceType: "report", ResourceKey: permission.Any, Action: "read"},
			{ResourceType: "survey", ResourceKey: "v1", Action: permission.Any, Limiter: limited},
		}
		for i := range extra {
			perms = append(perms, permission.Permission{ResourceType: "filler", ResourceKey: fmt.Sprint(i), Action: "read"})
		}
		s := permission.NewSet(perms)
		for _, c := range []struct {
			typ, key, action string
			want             bool
		}{
			{"study", "s1", "get-responses", true},
			{"study", "s2", "get-responses", false},
			{"study", "s1", "delete-responses", false},
			{"report", "anything", "read", true},
			{"report", "anything", "write", false},
			{"survey", "v1", "whatever", true},
			{"survey", "v2", "whatever", false},
		} {
			if got := s.Holds(c.typ, c.key, c.action); got != c.want {
				t.Errorf("%d extra grants: Holds(%s, %s, %s) = %v, want %v", extra, c.typ, c.key, c.action, got, c.want)
			}
		}
	}
	if (*permission.Set)(nil).Holds("study", "s1", "get-responses") {
		t.Error("a nil set holds a permission")
	}
}
