package main_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Version 3's pages (webhooks, a webhook's deliveries, the tenant's
// policy, the tenant switcher) at 1280, 1024 and 390 px, light and dark:
// axe-clean and nothing scrolls sideways, with a long webhook URL.
func TestAdminPageVersion3PagesInABrowser(t *testing.T) {
	// Not parallel: Chromium takes both cores of the machine.
	execPath := browserPath(t)
	axe, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	require.NoError(t, err)
	srv := start(t, "memory:")
	c := client{t: t, base: srv.url}
	longURL := "https://192.0.2.10/hooks/service-accounts/" + fill("tekenradar-research-warehouse-loader", 120)
	hook := c.do("POST", "/admin/webhooks", adminToken,
		`{"url":"`+longURL+`","events":["account.create","key.create","key.delete","key.leaked"],"description":"Tells the warehouse team about new integrations"}`, http.StatusCreated)
	hookID := hook["id"].(string)
	// An event, so the webhook has a delivery to show.
	c.do("POST", "/admin/service-accounts", adminToken, `{"label":"Makes a delivery"}`, http.StatusCreated)

	for i, vp := range layoutViewports {
		t.Run(vp.name, func(t *testing.T) {
			s := newSession(t, execPath, srv.url, vp, string(axe))
			s.navigating(chromedp.Navigate(s.base + "/admin/ui/"))
			s.do(chromedp.SendKeys(chromedp.ID("token"), adminToken))
			s.navigating(chromedp.Click(chromedp.CSS("form button[type=submit]")))
			if i == 0 {
				// A second tenant with a stored policy, so the switcher shows.
				s.navigating(chromedp.Navigate(s.base + "/admin/ui/tenants/acme/policy"))
				s.navigating(chromedp.Click(chromedp.CSS("main form button[type=submit]")))
				require.Contains(t, s.text(".notice"), "Policy saved.")
			}
			for _, dark := range []bool{false, true} {
				s.darkMode(dark)
				mode := map[bool]string{false: "light", true: "dark"}[dark]
				s.navigating(chromedp.Navigate(s.base + "/admin/ui/webhooks"))
				require.Contains(t, s.text("main"), "key.leaked")
				require.True(t, s.visible(".tenant-switcher"), "two tenants are visible")
				s.check("v3-webhooks-" + mode)

				s.navigating(chromedp.Navigate(s.base + "/admin/ui/webhooks?dialog=create-webhook"))
				s.waitModal("create-webhook")
				s.check("v3-create-webhook-" + mode)

				s.navigating(chromedp.Navigate(s.base + "/admin/ui/webhooks?dialog=delete-webhook&webhook=" + hookID))
				s.waitModal("delete-webhook")
				require.Contains(t, s.text("#delete-webhook strong"), "https://192.0.2.10/hooks/")
				s.check("v3-delete-webhook-" + mode)

				s.navigating(chromedp.Navigate(s.base + "/admin/ui/webhooks/" + hookID))
				require.Contains(t, s.text("main"), "account.create")
				s.check("v3-deliveries-" + mode)

				s.navigating(chromedp.Navigate(s.base + "/admin/ui/policy"))
				s.check("v3-policy-" + mode)

				s.navigating(chromedp.Navigate(s.base + "/admin/ui/tenants/acme/"))
				s.do(chromedp.Click(chromedp.CSS(".tenant-switcher summary")))
				require.Contains(t, s.text(".tenant-switcher"), "default")
				s.check("v3-tenant-switcher-" + mode)
			}
		})
	}
	srv.stop()
}
