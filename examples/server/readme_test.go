package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTheREADMEWalkthroughRuns keeps the README honest: the curl commands
// of its walkthrough and of its key lifecycle section run, in order, with
// bash against a real example server, and each output must match the
// README's up to what differs from run to run (ids, keys, times,
// addresses, the curl version). An `export NAME=value` takes the value
// from the same place in the real output of the command before it.
func TestTheREADMEWalkthroughRuns(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var steps []step
	for _, section := range [][2]string{
		{"## Walkthrough with curl", "### The management API"},
		{"## Key lifecycle", "## The admin page"},
	} {
		steps = append(steps, consoleSteps(t, sectionOf(t, string(readme), section[0], section[1]))...)
	}
	require.Greater(t, len(steps), 20, "the walkthrough's commands were found")

	srv := start(t, "sqlite:"+t.TempDir()+"/sa.db", "-flush-interval", "1m", "-access-log=false")
	vars := map[string]string{"ADMIN": adminToken, "API": srv.url}
	var lastJSON struct{ want, got string }
	for _, s := range steps {
		if s.cmd == "go run ./examples/server" {
			compareOutput(t, s.cmd, s.want, banner(t, strings.Count(s.want, "\n")+1))
			continue
		}
		if rest, ok := strings.CutPrefix(s.cmd, "export "); ok {
			for _, assignment := range strings.Fields(rest) {
				name, example, _ := strings.Cut(assignment, "=")
				vars[name] = sameField(t, s.cmd, lastJSON.want, lastJSON.got, example)
			}
			continue
		}
		got := runStep(t, s.cmd, vars)
		compareOutput(t, s.cmd, s.want, got)
		if strings.HasPrefix(strings.TrimSpace(s.want), "{") {
			lastJSON.want, lastJSON.got = s.want, got
		}
	}
}

// step is one "$ command" of a console block and the lines it shows.
type step struct {
	cmd  string
	want string
}

func sectionOf(t *testing.T, readme, from, to string) string {
	t.Helper()
	start := strings.Index(readme, from)
	require.GreaterOrEqual(t, start, 0, "README section %q", from)
	end := strings.Index(readme[start:], to)
	require.Greater(t, end, 0, "README section %q ends at %q", from, to)
	return readme[start : start+end]
}

// consoleSteps splits the ```console blocks of text into commands (a line
// after "$ ", joined with the lines that a trailing backslash continues)
// and their outputs.
func consoleSteps(t *testing.T, text string) []step {
	t.Helper()
	var steps []step
	for _, block := range regexp.MustCompile("(?s)```console\n(.*?)```").FindAllStringSubmatch(text, -1) {
		lines := strings.Split(strings.TrimRight(block[1], "\n"), "\n")
		for i := 0; i < len(lines); i++ {
			cmd, ok := strings.CutPrefix(lines[i], "$ ")
			require.True(t, ok, "a console block starts with a command: %q", lines[i])
			for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
				i++
				cmd = strings.TrimSuffix(cmd, `\`) + " " + strings.TrimSpace(lines[i])
			}
			var out []string
			for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "$ ") {
				i++
				out = append(out, lines[i])
			}
			steps = append(steps, step{cmd: cmd, want: strings.TrimSpace(strings.Join(out, "\n"))})
		}
	}
	return steps
}

func runStep(t *testing.T, cmd string, vars map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-c", cmd)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for name, value := range vars {
		c.Env = append(c.Env, name+"="+value)
	}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	require.NoError(t, c.Run(), "%s\nstderr: %s", cmd, stderr.String())
	return strings.TrimSpace(strings.ReplaceAll(stdout.String(), "\r", ""))
}

// banner returns the first n lines that the server prints when started as
// the README starts it (no flags but a free port, in a directory of its
// own for the default sqlite:serviceaccounts.db, no ADMIN_TOKEN).
func banner(t *testing.T, n int) string {
	t.Helper()
	cmd := exec.Command(serverBinary(t), "-addr", "127.0.0.1:0", "-access-log=false")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	lines := newLineReader(stdout)
	var got []string
	deadline := time.After(30 * time.Second)
	for len(got) < n {
		select {
		case line, ok := <-lines.lines:
			require.True(t, ok, "the server stopped after printing %q", got)
			got = append(got, line)
		case <-deadline:
			t.Fatalf("the server printed only %q", got)
		}
	}
	return strings.Join(got, "\n")
}

// variable is what differs from run to run, most specific first.
var variable = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`sa_[A-Za-z0-9]{4}…[A-Za-z0-9]{4}`), "<hint>"},
	{regexp.MustCompile(`sa_[A-Za-z0-9]{20,}`), "<key>"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<id>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "<time>"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "<address>"},
	{regexp.MustCompile(`curl/[0-9.]+`), "<curl>"},
	{regexp.MustCompile(`adm_([A-Z0-9]+|…)`), "<token>"},
}

func normalize(s string) string {
	for _, v := range variable {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

// compareOutput checks got against the README's want, line by line: JSON
// by value, other lines exactly; a line with "…" shows fragments of the
// real line; a final "…" line means "and more lines" (response headers),
// and the lines before it must each appear.
func compareOutput(t *testing.T, cmd, want, got string) {
	t.Helper()
	wantLines := strings.Split(normalize(want), "\n")
	gotLines := strings.Split(normalize(got), "\n")
	if want == "" {
		return
	}
	if wantLines[len(wantLines)-1] == "…" {
		for _, w := range wantLines[:len(wantLines)-1] {
			require.Contains(t, gotLines, w, "%s\ngot:\n%s", cmd, got)
		}
		return
	}
	require.Len(t, gotLines, len(wantLines), "%s\nwant:\n%s\ngot:\n%s", cmd, want, got)
	for i, w := range wantLines {
		g := gotLines[i]
		if strings.Contains(w, "…") {
			for _, fragment := range strings.Split(w, "…") {
				require.Contains(t, g, fragment, "%s\nwant: %s\ngot:  %s", cmd, w, g)
			}
			continue
		}
		var wv, gv any
		if json.Unmarshal([]byte(w), &wv) == nil && json.Unmarshal([]byte(g), &gv) == nil {
			require.True(t, reflect.DeepEqual(wv, gv), "%s\nwant: %s\ngot:  %s", cmd, w, g)
			continue
		}
		require.Equal(t, w, g, cmd)
	}
}

// sameField returns the value at the place in got's JSON where want's JSON
// holds example.
func sameField(t *testing.T, cmd, want, got, example string) string {
	t.Helper()
	var wv, gv any
	require.NoError(t, json.Unmarshal([]byte(want), &wv), "%s: the output before it is JSON", cmd)
	require.NoError(t, json.Unmarshal([]byte(got), &gv), "%s: the real output before it is JSON: %s", cmd, got)
	path, ok := pathTo(wv, example)
	require.True(t, ok, "%s: %s is in the output before it", cmd, example)
	for _, member := range path {
		m, ok := gv.(map[string]any)
		require.True(t, ok, "%s: real output %s has %v", cmd, got, path)
		gv = m[member]
	}
	s, ok := gv.(string)
	require.True(t, ok, "%s: real output %s has a string at %v", cmd, got, path)
	return s
}

func pathTo(v any, value string) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return nil, v == value
	case map[string]any:
		for name, member := range v {
			if p, ok := pathTo(member, value); ok {
				return append([]string{name}, p...), true
			}
		}
	}
	return nil, false
}

// TestTheREADMEFlagDefaultsAreTheServers: the walkthrough's list of flags
// gives each duration flag's default as the server's -h does.
func TestTheREADMEFlagDefaultsAreTheServers(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	flags := sectionOf(t, string(readme), "## Walkthrough with curl", "In a second terminal")
	_, _, usage := runBinary(t, nil, "-h")
	for _, name := range []string{"flush-interval", "cache-ttl", "poll-interval"} {
		documented := regexp.MustCompile("`-" + name + "`[^`]*?default\\s+`([^`]+)`").FindStringSubmatch(flags)
		require.NotNil(t, documented, "the README gives -%s's default", name)
		actual := regexp.MustCompile(`(?m)^\s+-` + name + ` duration\n.*\(default ([^)]+)\)`).FindStringSubmatch(usage)
		require.NotNil(t, actual, "-h gives -%s's default:\n%s", name, usage)
		want, err := time.ParseDuration(actual[1])
		require.NoError(t, err)
		got, err := time.ParseDuration(documented[1])
		require.NoError(t, err, "-%s", name)
		require.Equal(t, want, got, "the README's default of -%s", name)
	}
}
