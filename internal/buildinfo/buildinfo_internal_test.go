package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersionInTheBuildInformation(t *testing.T) {
	for _, tc := range []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"TheMainModulesVersionWhenBuiltFromThisModule",
			debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v3.1.0"}}, "v3.1.0"},
		{"DevelForAMainModuleBuiltFromItsSource",
			debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}}, "(devel)"},
		{"TheDependencysVersionInAnApplication",
			debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "(devel)"}, Deps: []*debug.Module{
				{Path: "github.com/seed-c7fc2061/serviceaccounts-extra", Version: "v9.9.9"},
				{Path: ModulePath, Version: "v3.2.1"},
			}}, "v3.2.1"},
		{"TheReplacementsVersion",
			debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{
				{Path: ModulePath, Version: "v3.2.1", Replace: &debug.Module{Path: "example.com/fork", Version: "v3.2.2-fix"}},
			}}, "v3.2.2-fix"},
		{"DevelForAReplacementByADirectory",
			debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{
				{Path: ModulePath, Version: "v3.2.1", Replace: &debug.Module{Path: "../serviceaccounts"}},
			}}, "(devel)"},
		{"NothingWhenTheModuleIsAbsent",
			debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{
				{Path: "example.com/other", Version: "v1.0.0"},
			}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, versionIn(&tc.info))
		})
	}
}

func TestVersionIsThatOfTheRunningBinary(t *testing.T) {
	// The test binary is built from this module: its main module.
	info, ok := debug.ReadBuildInfo()
	require.True(t, ok)
	require.Equal(t, ModulePath, info.Main.Path)
	require.Equal(t, info.Main.Version, Version())
	require.NotEmpty(t, Version())
	require.Equal(t, Version(), Version())
}
