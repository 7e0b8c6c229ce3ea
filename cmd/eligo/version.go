package main

import "runtime/debug"

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// buildVersion names the running binary, for `eligo version` and the Build
// of every version record it writes (see versionOf).
func buildVersion() string {
	info, _ := debug.ReadBuildInfo()
	return versionOf(version, info)
}

// versionOf is the version set at build time, else the main module's
// version from the build info: the tag of `go install ...@v1.2.3`, or what
// the go command stamps from a checkout (its tag, or a pseudo-version after
// one, with +dirty for local changes); else the VCS revision; else "dev".
func versionOf(set string, info *debug.BuildInfo) string {
	if set != "" {
		return set
	}
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	if rev := vcsRevision(info); rev != "" {
		return rev
	}
	return "dev"
}

// vcsRevision is the VCS revision the go command stamped into info, ""
// when none (or info is nil).
func vcsRevision(info *debug.BuildInfo) string {
	if info == nil {
		return ""
	}
	for _, kv := range info.Settings {
		if kv.Key == "vcs.revision" {
			return kv.Value
		}
	}
	return ""
}
