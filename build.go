package eligo

import (
	"os"
	"runtime/debug"
)

// BuildVersion names the running binary, for Version.Build: its VCS
// revision when it was built from a checkout, else its module version
// (which is "(devel)" for a build without one), else "unknown".
func BuildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, kv := range info.Settings {
		if kv.Key == "vcs.revision" && kv.Value != "" {
			return kv.Value
		}
	}
	if v := info.Main.Version; v != "" {
		return v
	}
	return "unknown"
}

// Hostname names this machine, for Version.Host: os.Hostname, or "unknown"
// when that fails or is empty.
func Hostname() string {
	if host, _ := os.Hostname(); host != "" {
		return host
	}
	return "unknown"
}
