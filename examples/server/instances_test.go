package main_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/store/sqlstore/sqltest"
)

// propagationChanges is how many changes each database's test measures.
const propagationChanges = 20

func TestInstancesSharingSQLite(t *testing.T) {
	t.Parallel()
	instancesSharing(t, "sqlite", "sqlite:"+t.TempDir()+"/shared.db")
}

func TestInstancesSharingPostgres(t *testing.T) {
	t.Parallel()
	instancesSharing(t, "postgres", freshDatabase(t, sqltest.PostgresURL(t)))
}

func TestInstancesSharingMySQL(t *testing.T) {
	t.Parallel()
	instancesSharing(t, "mysql", freshDatabase(t, sqltest.MySQLURL(t)))
}

// freshDatabase creates a database of the test's own on the server at
// serverURL (the example server has no table prefix flag) and drops it
// when the test ends.
func freshDatabase(t *testing.T, serverURL string) string {
	t.Helper()
	name := "sa_" + strings.TrimSuffix(sqltest.UniquePrefix(), "_")
	db := sqltest.Open(t, serverURL).DB
	_, err := db.ExecContext(t.Context(), "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		drop := "DROP DATABASE IF EXISTS " + name
		if strings.HasPrefix(serverURL, "postgres") {
			drop += " WITH (FORCE)" // the servers' pools may linger a moment
		}
		if _, err := db.ExecContext(ctx, drop); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(serverURL)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// instancesSharing runs three example servers on one database, each
// caching lookups for a minute, and deletes keys, edits a limiter and
// disables and enables the account through the first: the others must honour each change within a second (within
// 100 ms on PostgreSQL, which pushes). It prints the measured delays.
func instancesSharing(t *testing.T, dialect, db string) {
	args := []string{"-cache-ttl", "1m"} // the default poll interval
	a := start(t, db, args...)
	others := []*server{start(t, db, args...), start(t, db, args...)}
	admin := client{t: t, base: a.url}

	account := admin.do("POST", "/admin/service-accounts", adminToken, `{"label":"shared"}`, http.StatusCreated)
	id := account["id"].(string)
	perm := admin.do("POST", "/admin/service-accounts/"+id+"/permissions", adminToken,
		`{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses","limiter":[{"surveyKey":"s1"}]}`, http.StatusCreated)
	limiterPath := "/admin/service-accounts/" + id + "/permissions/" + perm["id"].(string) + "/limiter"
	mainKey := admin.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusCreated)["key"].(string)
	// Let the others' feeds deliver the set-up before they cache it.
	for _, o := range others {
		waitForStatus(t, o, "/v1/studies/tekenradar/responses?surveyKey=s1", mainKey, http.StatusOK)
	}

	var delays []time.Duration
	survey := "s1"
	for i := range propagationChanges {
		var (
			path, key string
			want      int
			change    func()
		)
		switch i % 4 {
		case 0: // delete a key the others have cached
			k := admin.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusCreated)
			for _, o := range others {
				waitForStatus(t, o, "/v1/whoami", k["key"].(string), http.StatusOK) // now cached for a minute
			}
			path, want, key = "/v1/whoami", http.StatusUnauthorized, k["key"].(string)
			change = func() {
				admin.do("DELETE", "/admin/service-accounts/"+id+"/api-keys/"+k["id"].(string), adminToken, "", http.StatusNoContent)
			}
		case 1: // move the limiter to another survey
			next := fmt.Sprintf("s%d", i+1)
			path, want, key = "/v1/studies/tekenradar/responses?surveyKey="+survey, http.StatusForbidden, mainKey
			for _, o := range others {
				waitForStatus(t, o, path, key, http.StatusOK) // cached with the old limiter
			}
			survey = next
			change = func() {
				admin.do("PUT", limiterPath, adminToken, `{"limiter":[{"surveyKey":"`+next+`"}]}`, http.StatusOK)
			}
		case 2, 3: // disable the account, then enable it again
			disable := i%4 == 2
			before, after := http.StatusOK, http.StatusUnauthorized
			if !disable {
				before, after = after, before
			}
			path, want, key = "/v1/whoami", after, mainKey
			for _, o := range others {
				waitForStatus(t, o, path, key, before)
			}
			change = func() {
				admin.do("PATCH", "/admin/service-accounts/"+id, adminToken, fmt.Sprintf(`{"disabled":%t}`, disable), http.StatusOK)
			}
		}
		begin := time.Now()
		change()
		for _, o := range others {
			waitForStatus(t, o, path, key, want)
			delays = append(delays, time.Since(begin))
		}
	}

	// An instance killed while a change is made, and started again,
	// refuses the revoked key.
	k := admin.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusCreated)
	waitForStatus(t, others[1], "/v1/whoami", k["key"].(string), http.StatusOK)
	require.NoError(t, others[1].cmd.Process.Signal(syscall.SIGKILL))
	<-others[1].done
	admin.do("DELETE", "/admin/service-accounts/"+id+"/api-keys/"+k["id"].(string), adminToken, "", http.StatusNoContent)
	restarted := start(t, db, args...)
	(&client{t: t, base: restarted.url}).do("GET", "/v1/whoami", k["key"].(string), "", http.StatusUnauthorized)

	slices.Sort(delays)
	median, worst := delays[len(delays)/2], delays[len(delays)-1]
	t.Logf("%s: %d changes seen by 2 other instances (cache TTL 1m): median %s, worst %s",
		dialect, propagationChanges, median.Round(time.Millisecond), worst.Round(time.Millisecond))
	// The design promises a second by default: the default interval
	// (900 ms) leaves 100 ms for the poll's query and this test's 2 ms
	// probing, and measured runs stay within it (README). The assertion
	// leaves 300 ms more for a loaded CI machine (two cores, other
	// packages' tests on the same databases): it catches an interval of
	// 1.2 s or more, not one of a second (1.036 s measured).
	require.Less(t, worst, 1200*time.Millisecond, "all delays: %v", delays)
	if dialect == "postgres" {
		require.Less(t, median, 100*time.Millisecond, "PostgreSQL pushes; all delays: %v", delays)
	}
	for _, s := range []*server{a, others[0], restarted} {
		s.stop()
	}
}

// waitForStatus probes path on s with key every 2 ms until it answers
// want, for at most 5 s (far beyond what any database may take).
func waitForStatus(t *testing.T, s *server, path, key string, want int) {
	t.Helper()
	waitFor(t, 2*time.Millisecond, func() (bool, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode == want, fmt.Sprintf("%s %s answered %d, not %d", s.url, path, resp.StatusCode, want)
	})
}

// waitFor calls check every interval until it reports done, for at most
// 5 s; then it fails the test with check's last explanation.
func waitFor(t *testing.T, interval time.Duration, check func() (done bool, why string)) {
	t.Helper()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for {
		done, why := check()
		if done {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s, for 5 s", why)
		}
	}
}

// TestAnInstanceCutOffFromTheDatabaseCatchesUp cuts one instance off
// MariaDB (through a TCP proxy; the shared server keeps running for the
// other tests) while a key it has cached is deleted through another
// instance. Cut off, it counts its failed polls and serves the key from
// its cache, which the TTL (a minute here) bounds while the feed fails;
// once the database is back, its feed reads the deletion it missed and the
// key is refused at once, long before the TTL.
func TestAnInstanceCutOffFromTheDatabaseCatchesUp(t *testing.T) {
	t.Parallel()
	db := freshDatabase(t, sqltest.MySQLURL(t))
	viaProxy, err := url.Parse(db)
	require.NoError(t, err)
	proxy := newProxy(t, viaProxy.Host)
	viaProxy.Host = proxy.addr
	a := start(t, db)
	admin := client{t: t, base: a.url}
	id := admin.do("POST", "/admin/service-accounts", adminToken, `{"label":"cut off"}`, http.StatusCreated)["id"].(string)
	k := admin.do("POST", "/admin/service-accounts/"+id+"/api-keys", adminToken, "", http.StatusCreated)
	key := k["key"].(string)
	// b starts after both changes, so its feed starts past them: had b
	// cached the key before they reached it, they would drop it, and the
	// lookup after that would fail once the proxy is cut. Its first poll
	// drops the whole cache (a starting instance trusts none), so b
	// caches the key only once changes made since, to another account,
	// reach it.
	b := start(t, viaProxy.String(), "-cache-ttl", "1m")
	other := admin.do("POST", "/admin/service-accounts", adminToken, `{"label":"other"}`, http.StatusCreated)["id"].(string)
	delivered := regexp.MustCompile(`(?m)^serviceaccounts_feed_changes_total(\{[^}]*\})? [1-9]`)
	waitForMetric(t, b, delivered, func() {
		admin.do("PUT", "/admin/service-accounts/"+other, adminToken, `{"label":"other","description":"ping"}`, http.StatusOK)
	})
	waitForStatus(t, b, "/v1/whoami", key, http.StatusOK) // now cached for a minute

	proxy.cut()
	admin.do("DELETE", "/admin/service-accounts/"+id+"/api-keys/"+k["id"].(string), adminToken, "", http.StatusNoContent)
	waitForMetric(t, b, regexp.MustCompile(`(?m)^serviceaccounts_feed_failures_total\{[^}]*operation="poll"[^}]*\} [1-9]`), nil)
	waitForStatus(t, b, "/v1/whoami", key, http.StatusOK) // the TTL is the bound meanwhile

	proxy.restore()
	waitForStatus(t, b, "/v1/whoami", key, http.StatusUnauthorized)
	a.stop()
	b.stop()
	assert.Contains(t, b.stderr.String(), "changefeed: poll failed")
}

// waitForMetric reads s's /metrics until it matches want, for at most 5 s,
// calling nudge (unless nil) every 100 ms meanwhile.
func waitForMetric(t *testing.T, s *server, want *regexp.Regexp, nudge func()) {
	t.Helper()
	var nudged time.Time
	waitFor(t, 10*time.Millisecond, func() (bool, string) {
		if nudge != nil && time.Since(nudged) >= 100*time.Millisecond {
			nudge()
			nudged = time.Now()
		}
		_, body, _ := getRaw(t, s.url+"/metrics")
		return want.MatchString(body), fmt.Sprintf("%s/metrics did not match %s:\n%s", s.url, want, body)
	})
}
