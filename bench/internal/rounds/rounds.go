// Package rounds holds what the benchmark commands share: the median of
// per-round figures, their formatting, and a description of the machine
// they were taken on.
package rounds

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Median is the median of xs, which must not be empty.
func Median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Format writes xs with the given number of decimals, space-separated.
func Format(xs []float64, decimals int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', decimals, 64)
	}
	return strings.Join(parts, " ")
}

// Rotate returns xs rotated left by r, so that over the rounds each item
// runs at each position and none always runs first or last.
func Rotate[T any](xs []T, r int) []T {
	r %= len(xs)
	return append(slices.Clone(xs[r:]), xs[:r]...)
}

// Machine describes where figures were taken: the date, the CPU, the
// number of CPUs and the load average, which says how busy a shared
// machine was.
func Machine() string {
	desc := time.Now().UTC().Format("2006-01-02 15:04 UTC")
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		cpus := 0
		model := ""
		for l := range strings.Lines(string(b)) {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "model name":
				model = strings.TrimSpace(v)
			case "processor":
				cpus++
			}
		}
		desc += ", " + strconv.Itoa(cpus) + " × " + model
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			desc += ", load average " + strings.Join(f[:3], " ")
		}
	}
	return desc
}
