package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// libraryModule is the module whose version --version reports: the tool
// is built as its main module from a checkout or by "go install …@v1.2.3",
// or, should the tool be built in a module of its own, as a dependency.
const libraryModule = "github.com/seed-c7fc2061/serviceaccounts"

// versionLine is what --version prints: the library's version, the VCS
// revision the binary was built from when the build recorded one (a
// checkout builds as "(devel)" or a pseudo-version, which say little
// alone), and the Go version, so that a bug report names exactly what ran.
func versionLine(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "serviceaccounts (unknown version: no build information) " + runtime.Version()
	}
	version := moduleVersion(&info.Main)
	if info.Main.Path != libraryModule {
		for _, dep := range info.Deps {
			if dep.Path == libraryModule {
				version = moduleVersion(dep)
				break
			}
		}
	}
	parts := []string{"serviceaccounts", version}
	if rev := setting(info, "vcs.revision"); rev != "" {
		if setting(info, "vcs.modified") == "true" {
			rev += "+dirty"
		}
		parts = append(parts, "revision "+rev)
	}
	goVersion := info.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	return strings.Join(append(parts, goVersion), " ")
}

// moduleVersion is m's version, or that of its replacement (a directory
// has none), "(devel)" when the build recorded none.
func moduleVersion(m *debug.Module) string {
	if m.Replace != nil {
		return moduleVersion(m.Replace)
	}
	if m.Version == "" {
		return "(devel)"
	}
	return m.Version
}

func setting(info *debug.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
