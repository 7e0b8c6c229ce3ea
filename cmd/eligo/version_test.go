package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	t.Parallel()
	rev := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "4dbac1fe55a6ce46f13d6afe0e15d95663dbe78d"}}
	for _, tc := range []struct {
		name string
		set  string
		info *debug.BuildInfo
		want string
	}{
		{"set at build time", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}, Settings: rev}, "v1.2.3"},
		{"go install ...@v1.0.0", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}}, "v1.0.0"},
		{"a checkout at a tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}, Settings: rev}, "v1.0.0"},
		{"a checkout past a tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.1-0.20261201131818-4dbac1fe55a6+dirty"}, Settings: rev}, "v1.0.1-0.20261201131818-4dbac1fe55a6+dirty"},
		{"a revision without a module version", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, "4dbac1fe55a6ce46f13d6afe0e15d95663dbe78d"},
		{"nothing known", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no build info", "", nil, "dev"},
	} {
		if got := versionOf(tc.set, tc.info); got != tc.want {
			t.Errorf("%s: versionOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}
