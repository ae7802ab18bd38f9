package main

import "runtime/debug"

// defaultGCPercent is the example server's garbage-collection target. Go's
// default, 100, starts a cycle whenever the heap doubles; a server that
// holds a few megabytes of package state (validators, templates, the
// admin page) and allocates a little per request then spends a tenth of
// its CPU marking that state again and again. At 400 a cycle starts when
// the heap has grown fivefold: fewer cycles, for a heap still small.
const defaultGCPercent = 400

// applyGCTarget sets the collector's target unless the operator chose one:
// GOGC or GOMEMLIMIT in the environment always win. It reports whether it
// set the target.
func applyGCTarget(percent int, getenv func(string) string) bool {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetGCPercent(percent)
	return true
}
