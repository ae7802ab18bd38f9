// Command load compares, under wrk over loopback, the example server's
// protected route with a bare net/http server answering the same JSON
// without authentication, and prints the ratio of their requests per
// second: the price of the whole request path (key check, permission
// check, access log) as a client sees it.
//
//	go run ./bench/load                    # 5 rounds of 5 s, 32 connections, 1 thread
//	go run ./bench/load -rounds 3 -duration 10s
//
// It builds the example server, starts it twice on an in-memory store
// (access log off, access log on) next to two bare servers, creates an
// account, a key and the permission the route needs through the admin API,
// then runs wrk against each in turn, once per round, and reports the
// median of the per-round ratios. The machine's other load moves absolute
// figures; the ratios of one round share it. wrk must be on PATH (Debian:
// apt-get install wrk).
//
// The first bare server is the target's reference: this program, which
// links net/http and nothing of the library. The second is the same route
// in a program of the example server's size (./bench/load/bareprogram),
// built like the example server: Go's collector
// costs more per request in a program with more live heap, whatever its
// request path, and the ratio against it isolates the request path.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/seed-c7fc2061/serviceaccounts/bench/internal/bareroute"
	"github.com/seed-c7fc2061/serviceaccounts/bench/internal/rounds"
)

const (
	adminToken = "bench-admin-token-0123456789"
	route      = "/v1/studies/tekenradar/responses?surveyKey=intake"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "bare" {
		// This program links net/http and nothing of the library (see
		// package bareroute), so that this reference stays small.
		bareroute.Serve(os.Args[2])
		return
	}
	numRounds := flag.Int("rounds", 5, "number of `rounds`; each runs wrk once against every server")
	duration := flag.Duration("duration", 5*time.Second, "how long each wrk run lasts")
	connections := flag.Int("connections", 32, "wrk connections")
	minRatio := flag.Float64("min-ratio", 0.93, "the lowest acceptable median ratio, access log off")
	flag.Parse()
	if err := run(*numRounds, *duration, *connections, *minRatio); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// target is one server wrk is run against.
type target struct {
	name string
	url  string
	pid  int
	rps  []float64
	// cpu is the server's CPU time per request (user and system, from
	// /proc), in microseconds: unlike requests per second, it barely moves
	// with what else the machine runs.
	cpu []float64
}

func run(numRounds int, duration time.Duration, connections int, minRatio float64) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not on PATH (Debian: apt-get install wrk)")
	}
	dir, err := os.MkdirTemp("", "bench-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	server := filepath.Join(dir, "server")
	bareProgram := filepath.Join(dir, "bareprogram")
	for bin, pkg := range map[string]string{server: "./examples/server", bareProgram: "./bench/load/bareprogram"} {
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build %s (run from the module root): %w", pkg, err)
		}
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	bare, bareURL, err := startBare(self, "bare")
	if err != nil {
		return err
	}
	defer stop(bare)
	inProgram, inProgramURL, err := startBare(bareProgram)
	if err != nil {
		return err
	}
	defer stop(inProgram)

	off, offURL, err := startServer(server, "-access-log=false")
	if err != nil {
		return err
	}
	defer stop(off)
	on, onURL, err := startServer(server, "-access-log=true")
	if err != nil {
		return err
	}
	defer stop(on)

	// One key per server: each has its own in-memory store.
	keys := map[string]string{}
	for _, u := range []string{offURL, onURL} {
		if keys[u], err = provision(u); err != nil {
			return err
		}
	}

	targets := []*target{
		{name: "bare net/http", url: bareURL, pid: bare.Process.Pid},
		{name: "bare, example's program", url: inProgramURL, pid: inProgram.Process.Pid},
		{name: "example, access log off", url: offURL, pid: off.Process.Pid},
		{name: "example, access log on", url: onURL, pid: on.Process.Pid},
	}
	bareTargets, examples := targets[:2], targets[2:]
	fmt.Printf("wrk -t1 -c%d -d%s, %d rounds, %s\n", connections, duration, numRounds, rounds.Machine())
	for r := range numRounds {
		order := rounds.Rotate(targets, r)
		var line []string
		for _, t := range order {
			key := keys[t.url]
			if key == "" {
				key = keys[offURL] // the bare server reads no header; the request bytes are the same
			}
			cpuBefore, err := cpuTime(t.pid)
			if err != nil {
				return err
			}
			rps, requests, err := runWrk(t.url+route, key, connections, duration)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			cpuAfter, err := cpuTime(t.pid)
			if err != nil {
				return err
			}
			cpu := float64((cpuAfter - cpuBefore).Microseconds()) / requests
			t.rps = append(t.rps, rps)
			t.cpu = append(t.cpu, cpu)
			line = append(line, fmt.Sprintf("%s %.0f req/s %.1f µs CPU/req", t.name, rps, cpu))
		}
		fmt.Printf("round %d: %s\n", r+1, strings.Join(line, "; "))
	}
	fmt.Println()
	for _, t := range targets {
		fmt.Printf("%-26s median %8.0f req/s, %5.1f µs of server CPU per request\n", t.name, rounds.Median(t.rps), rounds.Median(t.cpu))
	}
	failed := false
	for _, base := range bareTargets {
		for _, t := range examples {
			ratios := make([]float64, numRounds)
			cpuRatios := make([]float64, numRounds)
			for i := range ratios {
				ratios[i] = t.rps[i] / base.rps[i]
				cpuRatios[i] = t.cpu[i] / base.cpu[i]
			}
			verdict := ""
			if t == examples[0] && base == bareTargets[0] {
				// The target, as the issue states it: against bare net/http.
				verdict = fmt.Sprintf(" (target >= %.2f): ok", minRatio)
				if rounds.Median(ratios) < minRatio {
					verdict = fmt.Sprintf(" (target >= %.2f): BELOW", minRatio)
					failed = true
				}
			}
			fmt.Printf("%s / %s: req/s median %.3f, rounds %s%s\n", t.name, base.name, rounds.Median(ratios), rounds.Format(ratios, 3), verdict)
			fmt.Printf("%s / %s: server CPU per request median %.3f, rounds %s\n", t.name, base.name, rounds.Median(cpuRatios), rounds.Format(cpuRatios, 3))
		}
	}
	if failed {
		return errors.New("the load target is missed")
	}
	return nil
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

func startServer(bin string, args ...string) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-db", "memory:"}, args...)...)
	cmd.Env = append(os.Environ(), "ADMIN_TOKEN="+adminToken)
	cmd.Stderr = io.Discard // the access log, when on: written, then dropped by the kernel
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return cmd, m[1], nil
		}
	}
	stop(cmd)
	return nil, "", errors.New("the example server did not start")
}

// startBare starts a bare server, bin with args and the address to
// listen on, and waits until it answers.
func startBare(bin string, args ...string) (*exec.Cmd, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, append(args, addr)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	url := "http://" + addr
	if err := waitUp(url + "/healthz"); err != nil {
		stop(cmd)
		return nil, "", err
	}
	return cmd, url, nil
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
	}
}

// provision creates an account, a key and the route's permission through
// the admin API and returns the key.
func provision(base string) (string, error) {
	var account struct{ ID string }
	if err := admin(base, "/admin/service-accounts", `{"label":"load test"}`, &account); err != nil {
		return "", err
	}
	var key struct{ Key string }
	if err := admin(base, "/admin/service-accounts/"+account.ID+"/api-keys", `{}`, &key); err != nil {
		return "", err
	}
	perm := `{"resourceType":"study","resourceKey":"tekenradar","action":"get-responses","limiter":[{"surveyKey":"intake"}]}`
	if err := admin(base, "/admin/service-accounts/"+account.ID+"/permissions", perm, nil); err != nil {
		return "", err
	}
	// The key works on the route, and the first lookup is cached.
	req, _ := http.NewRequest(http.MethodGet, base+route, nil)
	req.Header.Set("Authorization", "Bearer "+key.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s with the new key: %s", route, resp.Status)
	}
	return key.Key, nil
}

func admin(base, path, body string, out any) error {
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, raw)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

var (
	requestsPerSec = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	requestsDone   = regexp.MustCompile(`(\d+) requests in`)
)
var non2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)

// runWrk returns the requests per second and the number of requests.
func runWrk(url, key string, connections int, duration time.Duration) (float64, float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), duration+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wrk", "-t1", "-c"+strconv.Itoa(connections),
		"-d"+strconv.Itoa(int(duration.Seconds()))+"s", "-H", "Authorization: Bearer "+key, url)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("wrk: %w\n%s", err, out.String())
	}
	if m := non2xx.FindStringSubmatch(out.String()); m != nil {
		return 0, 0, fmt.Errorf("wrk saw %s responses other than 200:\n%s", m[1], out.String())
	}
	rps := requestsPerSec.FindStringSubmatch(out.String())
	done := requestsDone.FindStringSubmatch(out.String())
	if rps == nil || done == nil {
		return 0, 0, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out.String())
	}
	r, err := strconv.ParseFloat(rps[1], 64)
	if err != nil {
		return 0, 0, err
	}
	n, err := strconv.ParseFloat(done[1], 64)
	return r, n, err
}

// cpuTime is the user and system CPU time process pid has used, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitUp(url string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within 10s", url)
}
