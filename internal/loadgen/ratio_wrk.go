package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"time"
)

// wrkScript writes the Lua script that sends wrk's requests: the targets
// in turn, each with its Authorization header; the path is /healthz when
// wrk is given the argument "healthz".
func wrkScript(targets []ratioTarget) (string, error) {
	var b bytes.Buffer
	b.WriteString("local targets = {\n")
	for _, t := range targets {
		p, _ := json.Marshal(t.path)
		a, _ := json.Marshal(t.auth)
		fmt.Fprintf(&b, "  {%s, %s},\n", p, a)
	}
	b.WriteString(`}
local n = #targets
local i = 0
local healthz = false
function init(args)
  healthz = args[1] == "healthz"
  i = math.random(n)
end
function request()
  i = i % n + 1
  local t = targets[i]
  local path = t[1]
  if healthz then path = "/healthz" end
  return wrk.format("GET", path, {["Authorization"] = t[2]})
end
`)
	f, err := os.CreateTemp("", "eligo-ratio-*.lua")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return "", err
	}
	return f.Name(), f.Close()
}

var (
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkTotal    = regexp.MustCompile(`([0-9]+) requests in`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+([0-9]+)`)
	wrkSockErr  = regexp.MustCompile(`Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)`)
	wrkQuantile = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
)

// wrkThreads is wrk's thread count on a machine of cpus CPUs: two, or a
// quarter of the CPUs where that is more (on 16 CPUs, 4: two threads
// cannot send 100,000 requests a second, and the server needs the rest),
// never more than conns.
func wrkThreads(cpus, conns int) int {
	return min(conns, max(2, cpus/4))
}

// wrkPhase measures with wrk: wrkThreads threads, Conns connections.
func wrkPhase(c *RatioConfig, script string) func(ctx context.Context, healthz bool) (Phase, error) {
	return func(ctx context.Context, healthz bool) (Phase, error) {
		arg := "eligibility"
		if healthz {
			arg = "healthz"
		}
		secs := max(int(c.Round/time.Second), 1)
		cmd := exec.CommandContext(ctx, "wrk", "-t", strconv.Itoa(wrkThreads(runtime.NumCPU(), c.Conns)), "-c", strconv.Itoa(c.Conns), "-d", fmt.Sprintf("%ds", secs),
			"--latency", "-s", script, c.BaseURL, "--", arg)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return Phase{}, fmt.Errorf("loadgen: wrk: %v: %s", err, out)
		}
		return parseWrk(string(out))
	}
}

// parseWrk reads the figures of wrk's --latency output.
func parseWrk(out string) (Phase, error) {
	var p Phase
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return p, fmt.Errorf("loadgen: no Requests/sec in wrk's output: %s", out)
	}
	p.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(out); m != nil {
		p.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		p.Errors, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkSockErr.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.ParseInt(s, 10, 64)
			p.Errors += n
		}
	}
	for _, m := range wrkQuantile.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		switch m[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if m[1] == "50" {
			p.P50Ms = v
		} else {
			p.P99Ms = v
		}
	}
	return p, nil
}
