package admin_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// walk follows nextCursor from target and returns the ids of every page's
// items and the pages' sizes.
func (e *env) walk(target string) (ids []string, sizes []int) {
	e.t.Helper()
	next := target
	for {
		page := e.expect(e.do("GET", next, ""), http.StatusOK)
		assert.Equal(e.t, []string{"items", "nextCursor"}, keysOf(page))
		its := items(e.t, page)
		sizes = append(sizes, len(its))
		for _, it := range its {
			ids = append(ids, it["id"].(string))
		}
		if page["nextCursor"] == nil {
			return ids, sizes
		}
		require.Less(e.t, len(sizes), 10, "pagination does not end")
		next = target + "&cursor=" + page["nextCursor"].(string)
	}
}

func TestKeysAndPermissionsListsArePaginated(t *testing.T) {
	e := newEnvWith(t, memstore.New(), serviceaccount.Policy{MaxKeysPerAccount: serviceaccount.NoKeyLimit})
	id := e.createAccount("pipeline")["id"].(string)
	var keys, perms []string
	for i := range 5 {
		keys = append(keys, e.createKey(id)["id"].(string))
		perms = append(perms, e.addPermission(id,
			fmt.Sprintf(`{"resourceType":"study","resourceKey":"study-%d","action":"read-study-config"}`, i))["id"].(string))
		e.clock.Advance(time.Millisecond)
	}
	base := "/admin/service-accounts/" + id

	got, sizes := e.walk(base + "/api-keys?limit=2")
	assert.Equal(t, []int{2, 2, 1}, sizes)
	assert.Equal(t, keys, got, "creation order")
	got, sizes = e.walk(base + "/permissions?limit=2")
	assert.Equal(t, []int{2, 2, 1}, sizes)
	assert.Equal(t, perms, got, "creation order")

	got, sizes = e.walk(base + "/api-keys?limit=5")
	assert.Equal(t, []int{5}, sizes, "a full last page has no next page")
	assert.Equal(t, keys, got)

	for _, list := range []string{"/api-keys", "/permissions"} {
		for _, query := range []string{"?limit=0", "?limit=201", "?limit=x", "?limit=1&limit=2", "?cursor=!"} {
			t.Run(list+query, func(t *testing.T) {
				fields := requireProblem(t, e.do("GET", base+list+query, ""), http.StatusBadRequest)
				assert.Len(t, fields, 1)
			})
		}
	}
}
