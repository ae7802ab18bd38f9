// Package buildinfo tells the version of this module in the running
// binary, for the instrumentation scope of the module's metrics (and
// whatever else reports a version), so that a dashboard can tell which
// release of the library produced a series.
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// ModulePath is the path of this module.
const ModulePath = "github.com/seed-c7fc2061/serviceaccounts"

// Version returns the version of the module in the running binary: its
// version among the binary's dependencies when an application imports it,
// or the main module's version when the binary is built from this module
// (the example server, the CLI, tests; "(devel)" unless the go command
// stamped one). "" when the binary carries no build information. The build
// information does not change while the process runs, so it is read once.
var Version = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return versionIn(info)
})

// versionIn returns the version of ModulePath in info, "" when info does
// not hold it. A module replaced by a directory reports "(devel)", as the
// go command reports a main module built from its source: its code is not
// the version it was required at.
func versionIn(info *debug.BuildInfo) string {
	if info.Main.Path == ModulePath {
		return info.Main.Version
	}
	for _, dep := range info.Deps {
		if dep.Path != ModulePath {
			continue
		}
		if r := dep.Replace; r != nil {
			if r.Version == "" {
				return "(devel)"
			}
			return r.Version
		}
		return dep.Version
	}
	return ""
}
