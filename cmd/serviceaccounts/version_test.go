package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersionPrintsOneLineAndExitsZeroWithoutADatabase(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		r := runTool(t, nil, flag)
		require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
		assert.Empty(t, r.stderr)
		require.Equal(t, 1, strings.Count(r.stdout, "\n"), "one line: %q", r.stdout)
		assert.True(t, strings.HasPrefix(r.stdout, "serviceaccounts "), r.stdout)
		// The test binary and the tool are built by the same go command.
		assert.True(t, strings.HasSuffix(r.stdout, " "+runtime.Version()+"\n"), r.stdout)
	}
}

func TestVersionLine(t *testing.T) {
	main := debug.Module{Path: libraryModule}
	for _, tc := range []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{
			name: "InstalledAtAVersion",
			info: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: libraryModule, Version: "v1.4.2"}},
			want: "serviceaccounts v1.4.2 go1.26.0",
		},
		{
			name: "BuiltFromACheckoutWithItsRevision",
			info: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: libraryModule, Version: "(devel)"},
				Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "55325fc0a1b2"}, {Key: "vcs.modified", Value: "false"}}},
			want: "serviceaccounts (devel) revision 55325fc0a1b2 go1.26.0",
		},
		{
			name: "BuiltFromAModifiedCheckout",
			info: debug.BuildInfo{GoVersion: "go1.26.0", Main: main,
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "55325fc0a1b2"}, {Key: "vcs.modified", Value: "true"}}},
			want: "serviceaccounts (devel) revision 55325fc0a1b2+dirty go1.26.0",
		},
		{
			name: "BuiltAsADependencyOfAnotherModule",
			info: debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "example.com/tools", Version: "v0.3.0"},
				Deps: []*debug.Module{{Path: "github.com/spf13/cobra", Version: "v1.10.2"}, {Path: libraryModule, Version: "v1.5.0"}}},
			want: "serviceaccounts v1.5.0 go1.26.1",
		},
		{
			name: "ADependencyReplacedByADirectory",
			info: debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "example.com/tools"},
				Deps: []*debug.Module{{Path: libraryModule, Version: "v1.5.0", Replace: &debug.Module{Path: "../serviceaccounts"}}}},
			want: "serviceaccounts (devel) go1.26.1",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, versionLine(&tc.info, true))
		})
	}
	assert.Equal(t, "serviceaccounts (unknown version: no build information) "+runtime.Version(), versionLine(nil, false))
}
