package main

import "github.com/eligo/eligo"

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// buildVersion names the running binary: the version set at build time,
// else the VCS revision or module version from its build info, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	switch v := eligo.BuildVersion(); v {
	case "unknown", "(devel)":
		return "dev"
	default:
		return v
	}
}
