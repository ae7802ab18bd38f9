// Command ratio measures the request path's benchmark ratios the way the
// performance targets are stated: it builds the middleware's test binary
// once, runs every benchmark once per round (in a rotated order, so that
// no benchmark always runs first or last), repeats for several rounds, and
// prints the median of the per-round ratios. On a shared, noisy machine
// absolute times drift by more than the differences being measured, and
// two benchmarks run minutes apart (as -count=N does) compare the drift;
// two benchmarks of one round compare the code.
//
//	go run ./bench/ratio                  # five rounds of one second each
//	go run ./bench/ratio -rounds 15 -benchtime 300ms   # on a loaded machine: more, shorter rounds
//	go run ./bench/ratio -base main       # also each benchmark against the same one built from main
//
// With -base, every round also runs each benchmark in the test binary of
// that git revision, right after this tree's, and the median of the
// per-round ratios (this tree / base) says what a change costs: the same
// benchmark run twice in a row compares far better on a loaded machine
// than two different ones.
//
// It exits 1 when a median ratio exceeds its target or an allocation bound
// is broken.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/bench/internal/rounds"
)

// target is one ratio the request path must keep: the median over the
// rounds of num's ns/op over den's, at most max; and num's allocations
// per operation at most maxAllocs (-1: not bounded).
type target struct {
	num, den  string
	max       float64
	maxAllocs int
}

var targets = []target{
	{"AuthenticateWarm", "FloorWithContext", 1.3, 2},
	{"AuthenticateWarmMetrics", "FloorWithContext", 1.5, 2},
	{"AuthenticateUnknownKey", "Floor", 2.0, -1},
}

// references are ratios printed for reading the targets, with no target of
// their own: FloorWithPermission against FloorWithContext is what the
// route's permission check costs when written by hand with nothing else
// (see its doc comment), and Warm against it is the price of the rest.
// ProtectWarm is Warm through the copy-free API (Middleware.Protect),
// against the floors and against Warm itself.
var references = [][2]string{
	{"FloorWithPermission", "FloorWithContext"},
	{"AuthenticateWarm", "FloorWithPermission"},
	{"ProtectWarm", "Floor"},
	{"ProtectWarm", "FloorWithContext"},
	{"ProtectWarm", "AuthenticateWarm"},
}

// result is one benchmark's figures in one round.
type result struct {
	nsPerOp float64
	allocs  int
}

func main() {
	numRounds := flag.Int("rounds", 5, "number of `rounds`; each runs every benchmark once")
	benchtime := flag.String("benchtime", "1s", "-test.benchtime of each run")
	pkg := flag.String("pkg", "./middleware", "the `package` holding the benchmarks")
	base := flag.String("base", "", "a git `revision` to compare every benchmark with (run from the repository)")
	flag.Parse()
	if *numRounds < 1 {
		fmt.Fprintln(os.Stderr, "ratio: -rounds must be at least 1")
		os.Exit(2)
	}
	if err := run(os.Stdout, *pkg, *numRounds, *benchtime, *base); err != nil {
		fmt.Fprintln(os.Stderr, "ratio:", err)
		os.Exit(1)
	}
}

func run(out io.Writer, pkg string, numRounds int, benchtime, base string) error {
	dir, err := os.MkdirTemp("", "bench-ratio-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bench.test")
	if err := buildTest(".", pkg, bin); err != nil {
		return err
	}
	baseBin := ""
	if base != "" {
		src := filepath.Join(dir, "base")
		baseBin = filepath.Join(dir, "base.test")
		archive := fmt.Sprintf("mkdir -p %q && git archive %q | tar -x -C %q", src, base, src)
		if b, err := exec.Command("sh", "-c", archive).CombinedOutput(); err != nil {
			return fmt.Errorf("git archive %s: %w\n%s", base, err, b)
		}
		if err := buildTest(src, pkg, baseBin); err != nil {
			return err
		}
	}

	var names []string
	for _, t := range targets {
		names = addNames(names, t.num, t.den)
	}
	for _, r := range references {
		names = addNames(names, r[0], r[1])
	}
	fmt.Fprintf(out, "%s, %d rounds of %s per benchmark, %s\n", pkg, numRounds, benchtime, rounds.Machine())
	perRound := make([]map[string]result, numRounds)
	for r := range numRounds {
		perRound[r] = map[string]result{}
		order := rounds.Rotate(names, r)
		var line []string
		for _, n := range order {
			res, err := runOnce(bin, n, benchtime)
			if err != nil {
				return err
			}
			perRound[r][n] = res
			line = append(line, fmt.Sprintf("%s %.0f ns/op %d allocs", n, res.nsPerOp, res.allocs))
			if baseBin != "" {
				// A benchmark the base does not have is left out.
				if res, err := runOnce(baseBin, n, benchtime); err == nil {
					perRound[r]["base:"+n] = res
					line = append(line, fmt.Sprintf("(base %.0f)", res.nsPerOp))
				}
			}
		}
		fmt.Fprintf(out, "round %d: %s\n", r+1, strings.Join(line, "; "))
	}

	failed := false
	fmt.Fprintln(out)
	for _, n := range names {
		var ns []float64
		for _, pr := range perRound {
			ns = append(ns, pr[n].nsPerOp)
		}
		fmt.Fprintf(out, "%-26s median %7.1f ns/op\n", n, rounds.Median(ns))
	}
	for _, t := range targets {
		var ratios []float64
		maxAllocs := 0
		for _, pr := range perRound {
			ratios = append(ratios, pr[t.num].nsPerOp/pr[t.den].nsPerOp)
			maxAllocs = max(maxAllocs, pr[t.num].allocs)
		}
		verdict := "ok"
		if m := rounds.Median(ratios); m > t.max {
			verdict = fmt.Sprintf("ABOVE the target %.2f", t.max)
			failed = true
		}
		if t.maxAllocs >= 0 && maxAllocs > t.maxAllocs {
			verdict += fmt.Sprintf("; %d allocs, above %d", maxAllocs, t.maxAllocs)
			failed = true
		}
		fmt.Fprintf(out, "%s / %s: median %.2f (target <= %.2f) rounds %s: %s\n",
			t.num, t.den, rounds.Median(ratios), t.max, rounds.Format(ratios, 2), verdict)
		fmt.Fprintf(out, "    fastest runs: %.2f (%.1f / %.1f ns/op; the least disturbed run of each, for a loaded machine)\n",
			fastest(perRound, t.num)/fastest(perRound, t.den), fastest(perRound, t.num), fastest(perRound, t.den))
	}
	for _, r := range references {
		var ratios []float64
		for _, pr := range perRound {
			ratios = append(ratios, pr[r[0]].nsPerOp/pr[r[1]].nsPerOp)
		}
		fmt.Fprintf(out, "%s / %s: median %.2f (reference, no target) rounds %s\n",
			r[0], r[1], rounds.Median(ratios), rounds.Format(ratios, 2))
	}
	if baseBin != "" {
		fmt.Fprintln(out)
		for _, n := range names {
			var ratios []float64
			for _, pr := range perRound {
				if b, ok := pr["base:"+n]; ok {
					ratios = append(ratios, pr[n].nsPerOp/b.nsPerOp)
				}
			}
			if len(ratios) > 0 {
				fmt.Fprintf(out, "%s, this tree / %s: median %.3f, rounds %s\n", n, base, rounds.Median(ratios), rounds.Format(ratios, 2))
			}
		}
	}
	if failed {
		return errors.New("a target is missed")
	}
	return nil
}

// addNames appends to names those of more it does not hold yet.
func addNames(names []string, more ...string) []string {
	for _, n := range more {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// buildTest builds the test binary of pkg, in the module at dir, to bin.
func buildTest(dir, pkg, bin string) error {
	build := exec.Command("go", "test", "-c", "-o", bin, pkg)
	build.Dir = dir
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go test -c %s in %s: %w", pkg, dir, err)
	}
	return nil
}

// fastest is the lowest ns/op of benchmark name over the rounds.
func fastest(perRound []map[string]result, name string) float64 {
	best := perRound[0][name].nsPerOp
	for _, pr := range perRound[1:] {
		best = min(best, pr[name].nsPerOp)
	}
	return best
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+[\d.]+ B/op\s+(\d+) allocs/op)?`)

// runOnce runs one benchmark once and returns its figures.
func runOnce(bin, name, benchtime string) (result, error) {
	cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", "^Benchmark"+name+"$",
		"-test.benchmem", "-test.benchtime", benchtime)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	cmd.Dir = filepath.Dir(bin)
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("run of benchmark %s: %w\n%s", name, err, stdout.String())
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil || m[1] != name {
			continue
		}
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return result{}, err
		}
		allocs, _ := strconv.Atoi(m[3])
		return result{nsPerOp: ns, allocs: allocs}, nil
	}
	return result{}, fmt.Errorf("benchmark %s printed no result:\n%s", name, stdout.String())
}
