package main_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// fill pads s with its own words to exactly n characters: the longest
// label or name the API accepts, which is what a real list holds
// sooner or later.
func fill(s string, n int) string {
	for len(s) < n {
		s += " " + s
	}
	return strings.TrimSpace(s[:n-1]) + "."
}

// seedRealisticContent creates, through the admin API, the content that
// broke the v2 layout: names of 100 characters, a key carrying every
// badge at once (Replaced, Expired, Disabled), six keys, a long limiter,
// and a disabled account in the list. It returns the account's id and
// the id of the key with every badge.
func seedRealisticContent(t *testing.T, base string) (accountID, badgedKeyID string) {
	c := client{t: t, base: base}
	api := "/admin/service-accounts"
	acct := c.do("POST", api, adminToken, fmt.Sprintf(`{"label":%q,"description":%q}`,
		fill("Tekenradar nightly export of intake and weekly survey responses to the research warehouse", 100),
		fill("Runs every night at 02:00 from the data team's pipeline and writes the responses of every active survey into the warehouse.", 1000)),
		http.StatusCreated)
	accountID = acct["id"].(string)
	keys := api + "/" + accountID + "/api-keys"
	newKey := func(name string) string {
		k := c.do("POST", keys, adminToken, fmt.Sprintf(`{"name":%q}`, fill(name, 100)), http.StatusCreated)
		return k["id"].(string)
	}
	// Every badge at once: rotated without grace (Replaced, Expired),
	// then disabled.
	badgedKeyID = newKey("GitHub Actions deploy workflow for the production warehouse loader")
	c.do("POST", keys+"/"+badgedKeyID+"/rotate", adminToken, `{"gracePeriodSeconds":0}`, http.StatusCreated)
	c.do("PATCH", keys+"/"+badgedKeyID, adminToken, `{"disabled":true}`, http.StatusOK)
	disabled := newKey("Staging loader that only runs during the monthly data quality review")
	c.do("PATCH", keys+"/"+disabled, adminToken, `{"disabled":true}`, http.StatusOK)
	rotating := newKey("Backup export to the partner university's secure file transfer server")
	c.do("POST", keys+"/"+rotating+"/rotate", adminToken, `{"gracePeriodSeconds":86400}`, http.StatusCreated)
	newKey("Grafana dashboard that reads the response counts for the weekly status meeting")

	perms := api + "/" + accountID + "/permissions"
	c.do("POST", perms, adminToken, fmt.Sprintf(`{"resourceType":"study","resourceKey":%q,"action":"get-responses","limiter":[{"surveyKey":["intake","weekly","monthly","baseline-questionnaire","follow-up-after-twelve-months"]}]}`,
		strings.ReplaceAll(fill("tekenradar-long-running-cohort-study-of-tick-bites-and-lyme-disease", 99), " ", "-")), http.StatusCreated)
	c.do("POST", perms, adminToken, `{"resourceType":"messaging","resourceKey":"study-email-templates","action":"*","limiter":[{"studyKey":"tekenradar"}]}`, http.StatusCreated)
	c.do("POST", perms, adminToken, `{"resourceType":"users","resourceKey":"*","action":"delete-users"}`, http.StatusCreated)

	other := c.do("POST", api, adminToken, `{"label":"Legacy import","description":"Replaced by the warehouse export; kept for its audit trail."}`, http.StatusCreated)
	c.do("PATCH", api+"/"+other["id"].(string), adminToken, `{"disabled":true}`, http.StatusOK)
	return accountID, badgedKeyID
}

// Nothing hides at 1280, 1024 and 390 px, in light and dark mode, with
// the content that broke the v2 layout; axe checks every state.
func TestAdminPageLayoutWithRealisticContent(t *testing.T) {
	// Not parallel: Chromium takes both cores of the machine.
	execPath := browserPath(t)
	axe, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	require.NoError(t, err)
	srv := start(t, "memory:")
	accountID, badged := seedRealisticContent(t, srv.url)
	account := "/admin/ui/accounts/" + accountID
	for _, vp := range layoutViewports {
		t.Run(vp.name, func(t *testing.T) {
			s := newSession(t, execPath, srv.url, vp, string(axe))
			s.navigating(chromedp.Navigate(s.base + "/admin/ui/"))
			s.do(chromedp.SendKeys(chromedp.ID("token"), adminToken))
			s.navigating(chromedp.Click(chromedp.CSS("form button[type=submit]")))
			for _, dark := range []bool{false, true} {
				s.darkMode(dark)
				mode := map[bool]string{false: "light", true: "dark"}[dark]
				s.navigating(chromedp.Navigate(s.base + "/admin/ui/"))
				require.Contains(t, s.text(".cards"), "Disabled")
				require.Contains(t, s.text(".cards"), "6 API keys")
				s.check("realistic-list-" + mode)

				s.navigating(chromedp.Navigate(s.base + account))
				row := s.text(`tr:has(button[data-copy="` + badged + `"])`)
				for _, badge := range []string{"Replaced", "Expired", "Disabled"} {
					require.Contains(t, row, badge)
				}
				require.Equal(t, 6, eval[int](s, `document.querySelectorAll("section[aria-labelledby=keys-title] tbody tr").length`))
				s.check("realistic-account-" + mode)

				s.navigating(chromedp.Navigate(s.base + account + "?dialog=delete-key&key=" + badged))
				s.waitModal("delete-key")
				require.Contains(t, s.text("#delete-key strong"), "GitHub Actions deploy")
				s.check("realistic-delete-key-" + mode)

				s.navigating(chromedp.Navigate(s.base + account + "/activity"))
				require.Contains(t, s.text("main"), "→")
				s.check("realistic-activity-" + mode)

				s.navigating(chromedp.Navigate(s.base + "/admin/ui/keys"))
				s.check("realistic-hygiene-" + mode)
			}
		})
	}
	srv.stop()
}
