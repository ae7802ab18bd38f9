package main_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Key restrictions in the key dialogs and on the key rows, and the list's
// search by label, at 1280, 1024 and 390 px in light and dark mode, with
// the realistic content and a key carrying every restriction: axe-clean,
// nothing scrolls sideways, errors next to their field with the input kept.
func TestAdminPageKeyRestrictionsAndSearchInABrowser(t *testing.T) {
	// Not parallel: Chromium takes both cores of the machine.
	execPath := browserPath(t)
	axe, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	require.NoError(t, err)
	srv := start(t, "memory:")
	accountID, _ := seedRealisticContent(t, srv.url)
	c := client{t: t, base: srv.url}
	keys := "/admin/service-accounts/" + accountID + "/api-keys"
	restricted := c.do("POST", keys, adminToken, `{"name":"Warehouse loader with every restriction",
		"scopes":[{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses"},{"resourceType":"messaging","resourceKey":"study-email-templates","action":"*"}],
		"allowedCidrs":["10.20.0.0/16","192.0.2.7","2001:db8:abcd:12::/64"],
		"rateLimit":{"limit":600,"periodSeconds":60},
		"metadata":{"environment":"production","team":"research-data","ticket":4711}}`, http.StatusCreated)
	restrictedID := restricted["id"].(string)
	account := "/admin/ui/accounts/" + accountID

	for i, vp := range layoutViewports {
		t.Run(vp.name, func(t *testing.T) {
			s := newSession(t, execPath, srv.url, vp, string(axe))
			s.navigating(chromedp.Navigate(s.base + "/admin/ui/"))
			s.do(chromedp.SendKeys(chromedp.ID("token"), adminToken))
			s.navigating(chromedp.Click(chromedp.CSS("form button[type=submit]")))
			for _, dark := range []bool{false, true} {
				s.darkMode(dark)
				mode := map[bool]string{false: "light", true: "dark"}[dark]

				// The list, searched by label through its GET form.
				s.navigating(chromedp.Navigate(s.base + "/admin/ui/"))
				s.do(chromedp.SendKeys(chromedp.ID("search-q"), "TEKENRADAR"))
				s.navigating(chromedp.Click(chromedp.CSS(".search-form button[type=submit]")))
				require.Contains(t, s.text(".cards"), "Tekenradar nightly export")
				require.NotContains(t, s.text(".cards"), "Legacy import")
				require.Equal(t, "TEKENRADAR", s.value("#search-q"), "the query is kept")
				s.check("restrictions-search-" + mode)

				// The key row summarizes the restrictions.
				s.navigating(chromedp.Navigate(s.base + account))
				row := s.text(`tr:has(button[data-copy="` + restrictedID + `"])`)
				for _, badge := range []string{"2 scopes", "From 3 networks", "600 per minute", "3 metadata", "Edit restrictions"} {
					require.Contains(t, row, badge)
				}
				s.check("restrictions-account-" + mode)

				// Edit restrictions, opened by the row's link: the script
				// fills the key's restrictions in.
				s.openDialog(`a[data-dialog="edit-restrictions"][data-action$="`+restrictedID+`/restrictions"]`, "edit-restrictions")
				require.Contains(t, s.value("#restrict-scopes"), "study:tekenradar:get-responses")
				require.Contains(t, s.value("#restrict-cidrs"), "2001:db8:abcd:12::/64")
				require.Equal(t, "600", s.value("#restrict-rate"))
				require.Equal(t, "60", s.value("#restrict-rate-period"))
				require.Contains(t, s.value("#restrict-metadata"), "ticket=4711")
				s.check("restrictions-edit-" + mode)

				if i == 0 && !dark {
					// A wrong network: the error next to the field, the
					// input kept, nothing saved.
					s.do(chromedp.SendKeys(chromedp.ID("restrict-cidrs"), "\n10.0.0.1/8"))
					s.navigating(chromedp.Click(chromedp.CSS("#edit-restrictions button.primary")))
					s.waitModal("edit-restrictions")
					s.expectProblem("status of 400")
					require.Contains(t, s.text("#restrict-cidrs-error"), "has host bits set; the network is 10.0.0.0/8")
					require.Contains(t, s.value("#restrict-cidrs"), "10.0.0.1/8")
					s.check("restrictions-edit-error-" + mode)
				}

				s.navigating(chromedp.Navigate(s.base + account + "?dialog=create-key"))
				s.waitModal("create-key")
				s.check("restrictions-create-key-" + mode)

				s.navigating(chromedp.Navigate(s.base + account + "?dialog=rotate-key&key=" + restrictedID))
				s.waitModal("rotate-key")
				require.Contains(t, s.value("#rotate-cidrs"), "10.20.0.0/16")
				s.check("restrictions-rotate-key-" + mode)
			}
		})
	}
	srv.stop()
}
