package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests walk the seed's whole flow in headless Chromium (Debian's
// chromium package), on the example server over real HTTP, clicking and
// typing as a person would. At every step they fail on a console error,
// an uncaught exception or a Content-Security-Policy violation, and run
// axe-core in the page, failing on any violation. With SA_SCREENSHOT_DIR
// set, they save a screenshot of every step at both sizes.

// pollTimeout bounds a wait for the page to react; generous, because CI
// runs these under the race detector on two shared cores.
const pollTimeout = 20 * time.Second

// axeVersion is the pinned axe-core release in testdata/axe-core.
const axeVersion = "4.14.1"

type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var viewports = []viewport{
	{name: "desktop", width: 1280, height: 800},
	{name: "phone", width: 390, height: 844, mobile: true},
}

// layoutViewports are the widths the page must fit without hiding
// anything: 1024 px is the narrowest where tables stay tables.
var layoutViewports = []viewport{
	{name: "desktop", width: 1280, height: 800},
	{name: "laptop", width: 1024, height: 768},
	{name: "phone", width: 390, height: 844, mobile: true},
}

// browserPath finds Chromium. Without one the tests skip, saying so,
// except where they are required (CI, SA_TEST_REQUIRE_BROWSER=1 or
// SA_TEST_REQUIRE_DB=1), where a missing browser fails the run.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no Chromium on PATH (Debian: apt-get install chromium)"
	if os.Getenv("SA_TEST_REQUIRE_BROWSER") == "1" || os.Getenv("SA_TEST_REQUIRE_DB") == "1" || os.Getenv("CI") == "true" {
		t.Fatal(msg + "; the browser tests are required here")
	}
	t.Skip(msg + "; set SA_TEST_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// session is one browser tab on the example server.
type session struct {
	t    *testing.T
	ctx  context.Context
	base string
	vp   viewport
	axe  string
	// noScript: the page's scripts are off, and so is axe, which needs
	// timers in the page.
	noScript bool

	mu       sync.Mutex
	problems []string // console errors, exceptions, CSP violations
	shots    int
}

func newSession(t *testing.T, execPath, base string, vp viewport, axe string) *session {
	t.Helper()
	s := &session{t: t, base: base, vp: vp, axe: axe}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(vp.width), int(vp.height)),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithListener(s.listen))
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	s.ctx = ctx
	var emulate []chromedp.EmulateViewportOption
	if vp.mobile {
		emulate = append(emulate, chromedp.EmulateScale(2), chromedp.EmulateMobile)
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(vp.width, vp.height, emulate...)))
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name},
			Setting:    "granted",
			Origin:     base,
		})
		require.NoError(t, err)
	}
	return s
}

// listen runs in the tab's event loop: it only records.
func (s *session) listen(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			problem = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		problem = "exception: " + d.Text
		if d.Exception != nil {
			problem += " " + d.Exception.Description
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
			problem = fmt.Sprintf("log %s/%s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		}
	}
	if problem != "" {
		s.mu.Lock()
		s.problems = append(s.problems, problem)
		s.mu.Unlock()
	}
}

// expectProblem removes the recorded problems that contain text (a 400
// the test provoked on purpose) and fails if there is none.
func (s *session) expectProblem(text string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var kept []string
	found := false
	for _, p := range s.problems {
		if strings.Contains(p, text) {
			found = true
			continue
		}
		kept = append(kept, p)
	}
	s.problems = kept
	assert.True(s.t, found, "expected a console entry containing %q", text)
}

func (s *session) do(steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	require.NoError(s.t, chromedp.Do(s.ctx, steps...))
}

// clearField empties a text field as a person does: select all, delete.
func clearField(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Focus(chromedp.ID(id)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(kb.Backspace),
	)
}

// navigating runs the click (or other action) and waits for the page it
// loads.
func (s *session) navigating(action chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	_, err := chromedp.Run(s.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, action))
	require.NoError(s.t, err)
}

func eval[T any](s *session, expr string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](expr))
	require.NoError(s.t, err, expr)
	return v
}

func (s *session) text(sel string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(s.t, err, sel)
	return strings.TrimSpace(v)
}

func (s *session) value(sel string) string {
	s.t.Helper()
	// The property, not chromedp.Value, which reads a textarea's text node.
	return eval[string](s, fmt.Sprintf(`document.querySelector(%q).value`, sel))
}

func (s *session) visible(sel string) bool {
	return eval[bool](s, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.checkVisibility(); })()`, sel))
}

func (s *session) modal(id string) bool {
	return eval[bool](s, fmt.Sprintf(`document.getElementById(%q).matches(":modal")`, id))
}

// waitModal waits for the dialog with id to be open as a modal: the script
// opens a dialog just after the event that asked for it.
func (s *session) waitModal(id string) {
	s.t.Helper()
	_, err := chromedp.Run(s.ctx, chromedp.Poll[bool](
		fmt.Sprintf(`document.getElementById(%q).matches(":modal")`, id), chromedp.WithPollingTimeout(pollTimeout)))
	require.NoError(s.t, err, "dialog %s did not open as a modal", id)
}

// openDialog clicks the link sel and waits for its dialog.
func (s *session) openDialog(sel, id string) {
	s.t.Helper()
	s.do(chromedp.Click(chromedp.CSS(sel)))
	s.waitModal(id)
}

// check is what every step ends with: no console problem so far, axe
// clean, and a screenshot when asked for.
func (s *session) check(name string) {
	s.t.Helper()
	s.mu.Lock()
	problems := s.problems
	s.problems = nil
	s.mu.Unlock()
	assert.Empty(s.t, problems, "console errors, exceptions or CSP violations at %q", name)
	s.checkNothingHides(name)
	if !s.noScript {
		s.runAxe(name)
	}
	s.screenshot(name)
}

// checkNothingHides fails when the page or a table scrolls sideways or a
// row action lies outside the viewport or outside its table's visible box:
// an action that needs sideways scrolling to be found is hidden.
func (s *session) checkNothingHides(name string) {
	s.t.Helper()
	problems := eval[[]string](s, `(() => {
		const de = document.documentElement, vw = de.clientWidth, out = [];
		if (de.scrollWidth > vw) out.push("the page is " + de.scrollWidth + " px wide in " + vw);
		document.querySelectorAll(".table-wrap").forEach(w => {
			if (w.scrollWidth > w.clientWidth) out.push((w.getAttribute("aria-label") || "a table") + " scrolls: " + w.scrollWidth + " px in " + w.clientWidth);
		});
		document.querySelectorAll(".row-actions a, .row-actions button").forEach(a => {
			const label = a.getAttribute("aria-label") || a.textContent.trim();
			if (!a.checkVisibility()) { out.push("hidden: " + label); return; }
			const r = a.getBoundingClientRect(), w = a.closest(".table-wrap").getBoundingClientRect();
			if (r.left < 0 || r.right > vw) out.push("outside the viewport: " + label + " at " + Math.round(r.left) + "–" + Math.round(r.right) + " of " + vw);
			if (r.left < w.left || r.right > w.right + 0.5) out.push("outside its table: " + label);
		});
		return out;
	})()`)
	assert.Empty(s.t, problems, "something hides at %q (%s, %d px)", name, s.vp.name, s.vp.width)
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeRuns counts the axe-core runs of the whole test, for its summary line.
var axeRuns struct {
	sync.Mutex
	runs, passes int
}

func (s *session) runAxe(name string) {
	s.t.Helper()
	// DevTools evaluation is not subject to the page's CSP, so the page's
	// policy stays as strict as in production.
	if !eval[bool](s, `typeof window.axe === "object"`) {
		_, err := chromedp.Run(s.ctx, chromedp.Evaluate[chromedp.Void](s.axe))
		require.NoError(s.t, err)
	}
	raw, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify({
		passes: r.passes.length,
		violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))}))
	}))`, chromedp.EvalAwaitPromise))
	require.NoError(s.t, err)
	var res struct {
		Passes     int            `json:"passes"`
		Violations []axeViolation `json:"violations"`
	}
	require.NoError(s.t, json.Unmarshal([]byte(raw), &res))
	assert.Empty(s.t, res.Violations, "axe-core %s violations at %q (%s)", axeVersion, name, s.vp.name)
	axeRuns.Lock()
	axeRuns.runs++
	axeRuns.passes += res.Passes
	axeRuns.Unlock()
}

func (s *session) screenshot(name string) {
	s.t.Helper()
	dir := os.Getenv("SA_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	s.shots++
	// The whole page, except under a modal, whose backdrop covers only the
	// viewport.
	shot := chromedp.FullScreenshot(100)
	if eval[bool](s, `!!document.querySelector("dialog:modal")`) {
		shot = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(s.ctx, shot)
	require.NoError(s.t, err)
	require.NoError(s.t, os.MkdirAll(dir, 0o755))
	file := filepath.Join(dir, fmt.Sprintf("%s-%02d-%s.png", s.vp.name, s.shots, name))
	require.NoError(s.t, os.WriteFile(file, png, 0o644))
}

func (s *session) darkMode(on bool) {
	s.t.Helper()
	value := "light"
	if on {
		value = "dark"
	}
	_, err := chromedp.Call(s.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: value}},
	})
	require.NoError(s.t, err)
}

// apiStatus calls the example server's demonstration API with key.
func apiStatus(t *testing.T, base, path, key string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}

func TestAdminPageInABrowser(t *testing.T) {
	// Not parallel: Chromium takes both cores of the machine, and the
	// timing tests of this package must not run beside it.
	execPath := browserPath(t)
	axe, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	require.NoError(t, err)
	require.Contains(t, string(axe[:200]), "axe v"+axeVersion)
	srv := start(t, "memory:")
	var keys []string
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			keys = append(keys, walkSeedFlow(t, newSession(t, execPath, srv.url, vp, string(axe))))
		})
	}
	axeRuns.Lock()
	t.Logf("axe-core %s: %d runs, %d rule passes in all, 0 violations allowed", axeVersion, axeRuns.runs, axeRuns.passes)
	axeRuns.Unlock()
	srv.stop()
	for _, key := range keys {
		if key != "" {
			assert.NotContains(t, srv.stderr.String(), key, "a key never reaches the server's log")
		}
	}
}

// walkSeedFlow is the seed page's whole flow, by clicking and typing.
func walkSeedFlow(t *testing.T, s *session) (key string) {
	label := "Tekenradar export (" + s.vp.name + ")"

	// The page asks for the admin token first.
	s.navigating(chromedp.Navigate(s.base + "/admin/ui/"))
	require.Equal(t, "Log in", s.text("h1"))
	s.check("login")
	s.do(chromedp.SendKeys(chromedp.ID("token"), adminToken))
	s.navigating(chromedp.Click(chromedp.CSS("form button[type=submit]")))
	require.Equal(t, "Service Accounts", s.text("h1"))
	require.Equal(t, s.base+"/admin/ui/", eval[string](s, "location.href"))
	s.check("list")

	// Create an account with the + button's dialog.
	s.openDialog(`a[aria-label="Create service account"]`, "create-account")
	require.Equal(t, "create-label", eval[string](s, "document.activeElement.id"), "focus moves into the dialog")
	s.do(chromedp.SendKeys(chromedp.ID("create-label"), label),
		chromedp.SendKeys(chromedp.ID("create-description"), "Nightly download of survey responses"))
	s.check("create-account-dialog")
	s.navigating(chromedp.Click(chromedp.CSS("#create-account button.primary")))
	require.Equal(t, label, s.text("h1"))
	require.Equal(t, "Service account created.", s.text(".notice"))
	accountURL := strings.Split(eval[string](s, "location.href"), "?")[0]
	require.Regexp(t, `/admin/ui/accounts/[0-9a-f-]{36}$`, accountURL)
	s.check("account")

	// Update it.
	s.do(clearField("info-description"),
		chromedp.SendKeys(chromedp.ID("info-description"), "Nightly export of intake responses"))
	s.navigating(chromedp.Click(chromedp.CSS(".info-form button.primary")))
	require.Equal(t, "Service account updated.", s.text(".notice"))
	require.Equal(t, "Nightly export of intake responses", s.value("#info-description"))

	// Back to the list, where the account is a card that opens it.
	s.navigating(chromedp.Click(chromedp.CSS(".breadcrumb a")))
	require.Contains(t, s.text(".cards"), label)
	s.check("list-with-account")
	s.navigating(chromedp.Click(chromedp.CSS(fmt.Sprintf(`a.card[href$=%q]`, strings.TrimPrefix(accountURL, s.base)))))
	require.Equal(t, label, s.text("h1"))

	// The key dialog opens from the keyboard and Escape closes it.
	// The Enter that opens it must not also submit it.
	s.do(chromedp.Focus(chromedp.CSS(`a[aria-label="Create API key"]`)), chromedp.KeyEvent(kb.Enter))
	s.waitModal("create-key")
	require.Equal(t, "key-name", eval[string](s, "document.activeElement.id"))
	s.do(chromedp.KeyEvent(kb.Escape))
	require.False(t, eval[bool](s, `document.getElementById("create-key").open`), "Escape closes the dialog")
	require.Equal(t, accountURL, eval[string](s, "location.href"), "nothing was posted")
	require.Contains(t, s.text("section[aria-labelledby=keys-title]"), "No API keys yet.")

	// Create a key that expires on a date picked in the date input.
	s.openDialog(`a[aria-label="Create API key"]`, "create-key")
	require.Equal(t, "90", s.value("#expiry"), "90 days unless chosen otherwise")
	require.False(t, s.visible("#expires-on"), "the date shows only once chosen")
	s.do(chromedp.SendKeys(chromedp.ID("expiry"), "Never"))
	require.Equal(t, "never", s.value("#expiry"))
	require.True(t, s.visible(".hint.warning"), "never comes with a warning")
	// End picks the last choice (typing would join "Never" in the select's
	// type-ahead buffer).
	s.do(chromedp.Focus(chromedp.ID("expiry")), chromedp.KeyEvent(kb.End))
	require.Equal(t, "date", s.value("#expiry"))
	require.False(t, s.visible(".hint.warning"))
	require.True(t, s.visible("#expires-on"))
	require.Contains(t, s.text("#expires-on-hint"), "end of this day, 23:59 UTC")
	expiry := time.Now().UTC().AddDate(0, 2, 0)
	s.do(chromedp.SendKeys(chromedp.ID("expires-on"), expiry.Format("01022006")))
	require.Equal(t, expiry.Format("2006-01-02"), s.value("#expires-on"))
	s.check("create-key-dialog")
	s.navigating(chromedp.Click(chromedp.CSS("#create-key button.primary")))

	// The key is shown once, in a modal, and copies to the clipboard.
	require.True(t, s.modal("new-key"))
	key = s.value("#new-key-value")
	require.Regexp(t, `^sa_[0-9A-Za-z]{49}$`, key)
	require.Equal(t, accountURL, eval[string](s, "location.href"), "a reload fetches the page instead of posting again")
	s.do(chromedp.Click(chromedp.CSS(`button[aria-label="Copy API key"]`)))
	_, err := chromedp.Run(s.ctx, chromedp.Poll[bool](`document.querySelector("[data-copy-status]").textContent !== ""`, chromedp.WithPollingTimeout(pollTimeout)))
	require.NoError(t, err)
	require.Equal(t, "Copied to the clipboard.", s.text("[data-copy-status]"))
	clip, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Equal(t, key, clip)
	s.check("new-key")
	s.do(chromedp.Click(chromedp.CSS("#new-key button.primary")))
	_, err = chromedp.Run(s.ctx, chromedp.Poll[bool](`!document.getElementById("new-key")`, chromedp.WithPollingTimeout(pollTimeout)))
	require.NoError(t, err, "closed, the key leaves the page")
	require.Contains(t, s.text("section[aria-labelledby=keys-title] tbody"), key[:7], "the table shows the hint")
	expiresCell := `section[aria-labelledby=keys-title] td[data-label="Expires at"] time`
	require.Equal(t, expiry.Format("2006-01-02")+" 23:59 UTC", eval[string](s, `document.querySelector('`+expiresCell+`').title`), "the exact time on hover")
	require.Equal(t, "in 2 months", eval[string](s, `document.querySelector('`+expiresCell+`').firstChild.textContent`))
	require.Contains(t, s.text(expiresCell+" .visually-hidden"), expiry.Format("2006-01-02")+" 23:59 UTC", "and for screen readers")
	require.False(t, eval[bool](s, fmt.Sprintf(`document.documentElement.outerHTML.includes(%q)`, key)), "the page keeps no trace of the key once closed")
	require.Equal(t, http.StatusOK, apiStatus(t, s.base, "/v1/whoami", key))
	// Reloading shows the account, not the key again, and posts nothing.
	s.navigating(chromedp.Reload())
	require.False(t, eval[bool](s, `!!document.getElementById("new-key")`))
	require.Equal(t, 1, eval[int](s, `document.querySelectorAll("section[aria-labelledby=keys-title] tbody tr").length`))

	// Add a permission: the form follows the chosen type and action.
	s.openDialog(`a[data-dialog="add-permission"]`, "add-permission")
	require.Equal(t, "INPUT", eval[string](s, `document.getElementById("perm-key").tagName`))
	require.False(t, s.visible("#perm-limiter"), "create-study takes no limiter")

	s.do(chromedp.SendKeys(chromedp.ID("perm-type"), "Messaging"))
	require.Equal(t, "messaging", s.value("#perm-type"))
	require.Equal(t, "SELECT", eval[string](s, `document.getElementById("perm-key").tagName`))
	require.Equal(t, "global-email-templates,study-email-templates,scheduled-emails,sms-templates",
		eval[string](s, `[...document.querySelectorAll("#perm-key option")].map(o => o.value).join()`))
	require.Equal(t, "*", eval[string](s, `[...document.querySelectorAll("#perm-action option")].map(o => o.value).join()`))
	require.True(t, s.visible("#perm-limiter"), "messaging * takes a studyKey limiter")
	s.check("add-permission-messaging")

	// Arrow keys, as a person changes a focused select.
	s.do(chromedp.Focus(chromedp.ID("perm-type")), chromedp.KeyEvent(kb.ArrowDown))
	require.Equal(t, "users", s.value("#perm-type"))
	require.Equal(t, "*", eval[string](s, `[...document.querySelectorAll("#perm-key option")].map(o => o.value).join()`))
	require.Equal(t, "delete-users,*", eval[string](s, `[...document.querySelectorAll("#perm-action option")].map(o => o.value).join()`))
	require.False(t, s.visible("#perm-limiter"))

	s.do(chromedp.Focus(chromedp.ID("perm-type")), chromedp.KeyEvent(kb.ArrowUp), chromedp.KeyEvent(kb.ArrowUp))
	require.Equal(t, "study", s.value("#perm-type"))
	require.Equal(t, "INPUT", eval[string](s, `document.getElementById("perm-key").tagName`))
	s.do(chromedp.SendKeys(chromedp.ID("perm-key"), "tekenradar"),
		chromedp.SendKeys(chromedp.ID("perm-action"), "get-responses"))
	require.Equal(t, "get-responses", s.value("#perm-action"))
	require.True(t, s.visible("#perm-limiter"))
	require.Contains(t, s.text("#perm-limiter-hint"), "surveyKey")
	s.do(chromedp.SendKeys(chromedp.ID("perm-limiter"), `[{"surveyKey": "intake"}]`))
	s.check("add-permission-study")
	s.navigating(chromedp.Click(chromedp.CSS("#add-permission button.primary")))
	require.Equal(t, "Permission added.", s.text(".notice"))
	row := s.text("section[aria-labelledby=permissions-title] tbody tr")
	require.Contains(t, row, "study tekenradar")
	require.Contains(t, row, "get-responses")
	require.Contains(t, row, `[{"surveyKey":"intake"}]`)
	require.Equal(t, http.StatusOK, apiStatus(t, s.base, "/v1/studies/tekenradar/responses?surveyKey=intake", key))
	require.Equal(t, http.StatusForbidden, apiStatus(t, s.base, "/v1/studies/tekenradar/responses?surveyKey=weekly", key))
	s.check("account-with-key-and-permission")

	// The same page in dark mode.
	s.darkMode(true)
	s.check("account-dark")
	s.darkMode(false)

	// Edit the limiter with the pencil; a mistake shows next to the field.
	s.openDialog(`a[aria-label^="Edit limiter"]`, "edit-limiter")
	require.Equal(t, `[{"surveyKey":"intake"}]`, s.value("#limiter-value"))
	s.do(clearField("limiter-value"),
		chromedp.SendKeys(chromedp.ID("limiter-value"), `[{"reportKey": "r1"}]`))
	s.navigating(chromedp.Click(chromedp.CSS("#edit-limiter button.primary")))
	s.expectProblem("status of 400")
	require.True(t, s.modal("edit-limiter"), "the dialog opens again with the error")
	require.Equal(t, `This action's limiter cannot use "reportKey"; use "surveyKey" instead.`, s.text("#limiter-value-error"))
	require.Equal(t, `[{"reportKey": "r1"}]`, s.value("#limiter-value"), "the input is kept")
	require.Equal(t, "limiter-value", eval[string](s, "document.activeElement.id"), "focus is on the field in error")
	s.check("edit-limiter-error")
	s.do(clearField("limiter-value"),
		chromedp.SendKeys(chromedp.ID("limiter-value"), `[{"surveyKey": ["intake", "weekly"]}]`))
	s.navigating(chromedp.Click(chromedp.CSS("#edit-limiter button.primary")))
	require.Equal(t, "Limiter saved.", s.text(".notice"))
	require.Contains(t, s.text("section[aria-labelledby=permissions-title] tbody"), `[{"surveyKey":["intake","weekly"]}]`)
	require.Equal(t, http.StatusOK, apiStatus(t, s.base, "/v1/studies/tekenradar/responses?surveyKey=weekly", key))

	// Name the key with its pencil, then rotate it: the new key is shown
	// once, and the old one keeps working through its grace period.
	s.openDialog(`a[aria-label^="Edit name of API key"]`, "rename-key")
	s.do(chromedp.SendKeys(chromedp.ID("rename-name"), "Nightly export"))
	s.navigating(chromedp.Click(chromedp.CSS("#rename-key button.primary")))
	require.Equal(t, "API key name saved.", s.text(".notice"))
	require.Contains(t, s.text("section[aria-labelledby=keys-title] tbody"), "Nightly export")
	s.openDialog(`a[aria-label^="Rotate API key"]`, "rotate-key")
	require.Equal(t, "Nightly export", s.value("#rotate-name"), "the new key keeps the name unless changed")
	require.Equal(t, "86400", s.value("#rotate-grace"))
	s.check("rotate-key-dialog")
	s.navigating(chromedp.Click(chromedp.CSS("#rotate-key button.primary")))
	require.True(t, s.modal("new-key"))
	require.Equal(t, "API key rotated", s.text("#new-key-title"))
	rotated := s.value("#new-key-value")
	require.Regexp(t, `^sa_[0-9A-Za-z]{49}$`, rotated)
	require.NotEqual(t, key, rotated)
	s.check("rotated-key")
	s.do(chromedp.Click(chromedp.CSS("#new-key button.primary")))
	require.Equal(t, http.StatusOK, apiStatus(t, s.base, "/v1/whoami", rotated))
	require.Equal(t, http.StatusOK, apiStatus(t, s.base, "/v1/whoami", key), "the old key works through its grace period")
	require.Contains(t, s.text("section[aria-labelledby=keys-title] tbody"), "Replaced")

	// Disable and enable the new key, then the whole account.
	rotatedHint := rotated[:7]
	s.navigating(chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[aria-label^="Disable API key %s"]`, rotatedHint))))
	require.Equal(t, "API key disabled.", s.text(".notice"))
	require.Equal(t, http.StatusUnauthorized, apiStatus(t, s.base, "/v1/whoami", rotated))
	s.check("key-disabled")
	s.navigating(chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[aria-label^="Enable API key %s"]`, rotatedHint))))
	require.Equal(t, "API key enabled.", s.text(".notice"))
	require.Equal(t, http.StatusOK, apiStatus(t, s.base, "/v1/whoami", rotated))
	s.navigating(chromedp.Click(chromedp.CSS(`.toggle-row form[action$="/disable"] button`)))
	require.Contains(t, s.text(".notice"), "Service account disabled")
	require.Equal(t, http.StatusUnauthorized, apiStatus(t, s.base, "/v1/whoami", rotated))
	s.check("account-disabled")
	s.navigating(chromedp.Click(chromedp.CSS(`.toggle-row form[action$="/enable"] button`)))
	require.Equal(t, "Service account enabled.", s.text(".notice"))
	require.Equal(t, http.StatusOK, apiStatus(t, s.base, "/v1/whoami", rotated))

	// The hygiene list finds the keys across accounts.
	s.navigating(chromedp.Click(chromedp.CSS(".nav-link")))
	require.Equal(t, "API key hygiene", s.text("h1"))
	require.Contains(t, s.text("main"), rotatedHint)
	s.do(chromedp.SendKeys(chromedp.ID("expires-within"), "2"))
	s.navigating(chromedp.Click(chromedp.CSS(".filters button.primary")))
	require.Contains(t, s.text("main"), key[:7], "the replaced key expires within its grace")
	require.NotContains(t, s.text("main"), rotatedHint)
	s.check("hygiene")
	s.navigating(chromedp.Navigate(accountURL))
	// The account's activity records each change, by the token's holder.
	activity := s.text("section[aria-labelledby=activity-title]")
	for _, text := range []string{"API key rotated", "API key disabled", "API key enabled", "Account disabled", "Account enabled", "Limiter changed", "admin-token", "All activity"} {
		require.Contains(t, activity, text)
	}
	require.NotContains(t, activity, key)

	// The copy button of a key copies its id, which the API and the CLI
	// take; never the hint, which cannot authenticate.
	keyID := eval[string](s, `document.querySelector("section[aria-labelledby=keys-title] tbody tr button[data-copy]").dataset.copy`)
	require.Regexp(t, `^[0-9a-f-]{36}$`, keyID)
	s.do(chromedp.Click(chromedp.CSS(`section[aria-labelledby=keys-title] tbody tr button[data-copy]`)))
	_, err = chromedp.Run(s.ctx, chromedp.Poll[bool](`document.getElementById("live-status").textContent !== ""`, chromedp.WithPollingTimeout(pollTimeout)))
	require.NoError(t, err)
	clip, err = chromedp.Run(s.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Equal(t, keyID, clip)

	// Deleting a permission or a key asks first, naming what goes; Cancel
	// keeps it.
	s.openDialog(`a[aria-label^="Delete permission"]`, "delete-permission")
	require.Equal(t, "study tekenradar · get-responses", s.text("#delete-permission strong"))
	require.Equal(t, "Cancel", eval[string](s, "document.activeElement.textContent"), "focus starts on the safe choice")
	s.check("delete-permission-dialog")
	s.do(chromedp.Click(chromedp.CSS("#delete-permission button.secondary")))
	require.False(t, eval[bool](s, `document.getElementById("delete-permission").open`))
	require.Equal(t, http.StatusOK, apiStatus(t, s.base, "/v1/studies/tekenradar/responses?surveyKey=intake", key), "Cancel deletes nothing")
	s.openDialog(`a[aria-label^="Delete permission"]`, "delete-permission")
	s.navigating(chromedp.Click(chromedp.CSS("#delete-permission button.danger")))
	require.Equal(t, "Permission deleted.", s.text(".notice"))
	require.Equal(t, http.StatusForbidden, apiStatus(t, s.base, "/v1/studies/tekenradar/responses?surveyKey=intake", key))
	s.openDialog(`a[aria-label="Delete API key `+key[:7]+`…`+key[len(key)-4:]+`"]`, "delete-key")
	require.Equal(t, "“Nightly export” ("+key[:7]+"…"+key[len(key)-4:]+")", s.text("#delete-key strong"))
	s.check("delete-key-dialog")
	s.navigating(chromedp.Click(chromedp.CSS("#delete-key button.danger")))
	require.Equal(t, "API key deleted.", s.text(".notice"))
	require.Equal(t, http.StatusUnauthorized, apiStatus(t, s.base, "/v1/whoami", key))
	s.check("account-emptied")

	// Delete the account after confirming.
	s.openDialog(`a[data-dialog="delete-account"]`, "delete-account")
	require.Equal(t, "Cancel", eval[string](s, "document.activeElement.textContent"), "focus starts on the safe choice")
	s.check("delete-account-dialog")
	s.do(chromedp.Click(chromedp.CSS("#delete-account button.secondary")))
	require.False(t, eval[bool](s, `document.getElementById("delete-account").open`), "Cancel keeps the account")
	s.openDialog(`a[data-dialog="delete-account"]`, "delete-account")
	s.navigating(chromedp.Click(chromedp.CSS("#delete-account button.danger")))
	require.Equal(t, "Service account deleted.", s.text(".notice"))
	require.NotContains(t, s.text("main"), label)
	s.check("list-after-delete")

	// Log out: the session ends.
	s.navigating(chromedp.Click(chromedp.CSS(".logout button")))
	require.Equal(t, "Log in", s.text("h1"))
	s.navigating(chromedp.Navigate(s.base + "/admin/ui/"))
	require.Equal(t, "Log in", s.text("h1"))
	s.check("logged-out")
	return key
}

// The same flows work with JavaScript turned off: dialogs are links to the
// page rendered with the dialog open, and every form posts and redirects.
func TestAdminPageWithoutJavaScript(t *testing.T) {
	// Not parallel: Chromium takes both cores of the machine, and the
	// timing tests of this package must not run beside it.
	execPath := browserPath(t)
	axe, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	require.NoError(t, err)
	srv := start(t, "memory:")
	s := newSession(t, execPath, srv.url, viewport{name: "nojs", width: 1280, height: 800}, string(axe))
	_, err = chromedp.Call(s.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	require.NoError(t, err)
	s.noScript = true

	s.navigating(chromedp.Navigate(s.base + "/admin/ui/login"))
	s.do(chromedp.SendKeys(chromedp.ID("token"), adminToken))
	s.navigating(chromedp.Click(chromedp.CSS("form button[type=submit]")))
	s.navigating(chromedp.Click(chromedp.CSS(`a[aria-label="Create service account"]`)))
	require.Contains(t, eval[string](s, "location.search"), "dialog=create-account")
	s.do(chromedp.SendKeys(chromedp.ID("create-label"), "No script"))
	s.navigating(chromedp.Click(chromedp.CSS("#create-account button.primary")))
	require.Equal(t, "No script", s.text("h1"))

	// Choosing a type reloads the permission form for it.
	s.navigating(chromedp.Click(chromedp.CSS(`a[data-dialog="add-permission"]`)))
	s.do(chromedp.SetValue(chromedp.ID("perm-type"), "messaging"))
	s.navigating(chromedp.Click(chromedp.CSS("#add-permission .no-js-only")))
	require.Equal(t, "SELECT", eval[string](s, `document.getElementById("perm-key").tagName`))
	s.do(chromedp.SetValue(chromedp.ID("perm-key"), "sms-templates"))
	s.navigating(chromedp.Click(chromedp.CSS("#add-permission button.primary")))
	require.Equal(t, "Permission added.", s.text(".notice"))
	require.Contains(t, s.text("section[aria-labelledby=permissions-title] tbody"), "messaging sms-templates")

	// A key without script: the page shows it once.
	href, err := chromedp.Run(s.ctx, chromedp.AttributeValue(chromedp.CSS(`a[aria-label="Create API key"]`), "href"))
	require.NoError(t, err)
	s.navigating(chromedp.Navigate(s.base + href.Value))
	s.navigating(chromedp.Click(chromedp.CSS("#create-key button.primary")))
	require.Regexp(t, regexp.MustCompile(`^sa_`), s.value("#new-key-value"))
	s.check("nojs-new-key")

	// Deleting asks first without script too: the link opens the page
	// with the confirmation, whose button posts.
	// (The address is still the POST's: without script nothing replaces it.)
	s.navigating(chromedp.Navigate(strings.TrimSuffix(eval[string](s, "location.href"), "/keys")))
	s.navigating(chromedp.Click(chromedp.CSS(`a[aria-label^="Delete permission"]`)))
	require.Contains(t, eval[string](s, "location.search"), "dialog=delete-permission")
	require.Equal(t, "messaging sms-templates · *", s.text("#delete-permission strong"))
	require.Contains(t, s.text("section[aria-labelledby=permissions-title] tbody"), "messaging sms-templates", "asking deletes nothing")
	s.check("nojs-delete-permission")
	s.navigating(chromedp.Click(chromedp.CSS("#delete-permission button.danger")))
	require.Equal(t, "Permission deleted.", s.text(".notice"))
	srv.stop()
}
