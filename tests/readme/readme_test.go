// Package readme checks that the Go snippets of the repository's README
// compile against the current code, so that a rename or a new signature
// cannot leave the guide describing an API that no longer exists.
package readme

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// snippet says how to compile one ```go block of the README: it is found
// by a line it contains, and wrapped in a function whose prelude declares
// what the block takes from its surroundings (a mux, a Manager, the
// application's own functions) and whose epilogue uses what it declares.
type snippet struct {
	contains string
	prelude  string
	epilogue string
}

var snippets = []snippet{
	{
		contains: "adminui.New(",
		prelude: `var mgr *serviceaccount.Manager
mux := http.NewServeMux()
currentUser := func(*http.Request) string { return "" }
requireAdmin := func(h http.Handler) http.Handler { return h }`,
	},
	{
		contains: "sqlstore.OpenDB(ctx,",
	},
	{
		contains: "admin.New(mgr, admin.Config{Actor:",
		prelude: `var mgr *serviceaccount.Manager
type user struct{ Email string }
currentUser := func(*http.Request) (user, bool) { return user{}, false }`,
		epilogue: "_, _ = api, err",
	},
	{
		contains: "mgr.DeleteKey(ctx, accountID, keyID)",
		prelude: `var ctx context.Context
var mgr *serviceaccount.Manager
var username string
var accountID, keyID uuid.UUID`,
		epilogue: "_ = err",
	},
	{
		contains: "serviceaccounttest.New(t,",
		prelude: `var t *testing.T
var req *http.Request`,
		epilogue: "_ = mw",
	},
	{
		contains: "adminclient.New(\"http://127.0.0.1:8080/admin\",",
		prelude:  `var ctx context.Context`,
	},
	{
		contains: `mux.Handle("GET /v1/studies/{studyKey}/responses", mw.Protect(`,
		prelude:  "var mw *middleware.Middleware",
	},
	{
		contains: "func handleExport(",
	},
	{
		contains: `TenantFrom: middleware.TenantHeader("X-Tenant"),`,
		prelude: `var mgr *serviceaccount.Manager
mux := http.NewServeMux()
type admin_ struct{ Tenants map[string]bool }
adminOf := func(*http.Request) admin_ { return admin_{} }`,
	},
	{
		contains: "changefeed.New(changefeed.Config{",
		prelude: `var st store.Store
var mgr *serviceaccount.Manager`,
		epilogue: "_, _ = mw, err",
	},
	{
		contains: "secretscan.NewManagerDecider(",
		prelude: `var mgr *serviceaccount.Manager
mux := http.NewServeMux()
run := func() error {`,
		epilogue: "return nil\n}\n_ = run",
	},
}

// imports maps the package names a snippet may use to their paths.
var imports = map[string]string{
	"admin":              "github.com/seed-c7fc2061/serviceaccounts/admin",
	"adminclient":        "github.com/seed-c7fc2061/serviceaccounts/adminclient",
	"adminui":            "github.com/seed-c7fc2061/serviceaccounts/adminui",
	"changefeed":         "github.com/seed-c7fc2061/serviceaccounts/changefeed",
	"limiter":            "github.com/seed-c7fc2061/serviceaccounts/limiter",
	"middleware":         "github.com/seed-c7fc2061/serviceaccounts/middleware",
	"secretscan":         "github.com/seed-c7fc2061/serviceaccounts/secretscan",
	"serviceaccount":     "github.com/seed-c7fc2061/serviceaccounts/serviceaccount",
	"serviceaccounttest": "github.com/seed-c7fc2061/serviceaccounts/serviceaccounttest",
	"sqlstore":           "github.com/seed-c7fc2061/serviceaccounts/store/sqlstore",
	"store":              "github.com/seed-c7fc2061/serviceaccounts/store",
	"uuid":               "github.com/google/uuid",
	"context":            "context",
	"errors":             "errors",
	"fmt":                "fmt",
	"http":               "net/http",
	"log":                "log",
	"os":                 "os",
	"signal":             "os/signal",
	"syscall":            "syscall",
	"testing":            "testing",
	"time":               "time",
}

var (
	goBlock  = regexp.MustCompile("(?ms)^```go\n(.*?)^```")
	pkgUse   = regexp.MustCompile(`\b([a-z]+)\.[A-Za-z]`)
	topLevel = regexp.MustCompile(`(?m)^func `)
)

// TestSnippetsCompile builds every ```go block of README.md, each as a
// package of its own, with go vet.
func TestSnippetsCompile(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlock.FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md holds no ```go block")
	}
	// Inside the module, so that the snippets build against this code;
	// a leading "_" keeps the directory out of ./... patterns.
	dir, err := os.MkdirTemp(filepath.Join(root, "tests", "readme"), "_snippets")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	var pkgs []string
	used := make([]bool, len(snippets))
	for i, b := range blocks {
		code := string(b[1])
		s, n := find(code)
		if n < 0 {
			t.Errorf("README block %d (%q…) has no entry in snippets: add one saying what it takes from its surroundings", i+1, firstLine(code))
			continue
		}
		used[n] = true
		pkg := filepath.Join(dir, fmt.Sprintf("block%d", i+1))
		if err := os.Mkdir(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, "main.go"), program(code, s), 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, "./"+filepath.Join("tests", "readme", filepath.Base(dir), filepath.Base(pkg)))
	}
	for n, u := range used {
		if !u {
			t.Errorf("snippets[%d] (%q) matches no README block: remove it", n, snippets[n].contains)
		}
	}
	if t.Failed() {
		return
	}
	cmd := exec.Command("go", append([]string{"vet"}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("README snippets do not compile: %v\n%s", err, out)
	}
}

func find(code string) (snippet, int) {
	for n, s := range snippets {
		if strings.Contains(code, s.contains) {
			return s, n
		}
	}
	return snippet{}, -1
}

func firstLine(code string) string {
	line, _, _ := strings.Cut(code, "\n")
	return line
}

// program wraps a block in package main: its statements in a function
// after the prelude, its top-level functions after that, and the imports
// of the package names it uses.
func program(code string, s snippet) []byte {
	body, decls := code, ""
	if loc := topLevel.FindStringIndex(code); loc != nil {
		body, decls = code[:loc[0]], code[loc[0]:]
	}
	var buf bytes.Buffer
	buf.WriteString("package main\n\nimport (\n")
	seen := map[string]bool{}
	for _, m := range pkgUse.FindAllStringSubmatch(s.prelude+"\n"+code, -1) {
		if path, ok := imports[m[1]]; ok && !seen[m[1]] {
			seen[m[1]] = true
			fmt.Fprintf(&buf, "\t%q\n", path)
		}
	}
	buf.WriteString(")\n\nfunc main() {\n")
	buf.WriteString(s.prelude + "\n" + body + "\n" + s.epilogue + "\n}\n\n" + decls)
	return buf.Bytes()
}
