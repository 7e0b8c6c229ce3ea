// Command deploycheck checks what a schema cannot in eligo's Kubernetes
// manifests: that they agree with each other and with the eligo binary.
//
//   - every container runs the same image, as a subcommand eligo has, with
//     flags that subcommand's -h lists, written --name or --name=value;
//
//   - every ELIGO_* variable the manifests give a container (env, and the
//     keys of the ConfigMaps and Secrets it takes with envFrom) is one that
//     cmd/eligo reads, and every ConfigMap, Secret and key they refer to is
//     in the manifests;
//
//   - serve is probed for readiness on /readyz and liveness on /healthz, its
//     preStop sleep matches --shutdown-delay, and its grace period covers
//     preStop, --shutdown-delay and --shutdown-timeout;
//
//   - selectors select: each Deployment's its own pods, each Service,
//     PodDisruptionBudget and ServiceMonitor some Deployment's pods or
//     Service, with the ports they name.
//
//     deploycheck -env names.txt -help serve=serve.txt -help worker=worker.txt -help migrate=migrate.txt DIR
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

type obj = map[string]any

func main() {
	envFile := flag.String("env", "", "file of the ELIGO_* names cmd/eligo reads, one a line")
	helps := map[string]string{}
	flag.Func("help", "SUBCOMMAND=FILE: the output of `eligo SUBCOMMAND -h` (repeatable)", func(s string) error {
		cmd, file, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("want SUBCOMMAND=FILE, got %q", s)
		}
		helps[cmd] = file
		return nil
	})
	flag.Parse()
	if *envFile == "" || len(helps) == 0 || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: deploycheck -env FILE -help CMD=FILE ... DIR")
		os.Exit(2)
	}
	c, err := load(flag.Arg(0), *envFile, helps)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploycheck:", err)
		os.Exit(1)
	}
	c.check()
	if len(c.problems) > 0 {
		for _, p := range c.problems {
			fmt.Fprintln(os.Stderr, "deploycheck:", p)
		}
		fmt.Fprintf(os.Stderr, "deploycheck: %d problems in %s\n", len(c.problems), flag.Arg(0))
		os.Exit(1)
	}
	fmt.Printf("deploycheck: %d objects in %s agree with each other and with eligo\n", len(c.objects), flag.Arg(0))
}

type checker struct {
	objects  []obj
	env      map[string]bool            // ELIGO_* names eligo reads
	flags    map[string]map[string]bool // subcommand -> its flags
	problems []string
}

func (c *checker) errorf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

var helpFlag = regexp.MustCompile(`^\s+--?([a-z0-9][a-z0-9-]*)`) // "  --addr string" (cmd/eligo) or "  -addr" (package flag)

func load(dir, envFile string, helps map[string]string) (*checker, error) {
	c := &checker{env: map[string]bool{}, flags: map[string]map[string]bool{}}
	data, err := os.ReadFile(envFile)
	if err != nil {
		return nil, err
	}
	for _, l := range strings.Fields(string(data)) {
		c.env[l] = true
	}
	if len(c.env) == 0 {
		return nil, fmt.Errorf("%s names no variables", envFile)
	}
	for cmd, file := range helps {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		c.flags[cmd] = map[string]bool{}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if m := helpFlag.FindStringSubmatch(sc.Text()); m != nil {
				c.flags[cmd][m[1]] = true
			}
		}
		if len(c.flags[cmd]) == 0 {
			return nil, fmt.Errorf("%s lists no flags of eligo %s", file, cmd)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.yaml in %s", dir)
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			var o obj
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				return nil, fmt.Errorf("%s, document %d: %w", f, i+1, err)
			}
			if o != nil {
				o["__file"] = filepath.Base(f)
				c.objects = append(c.objects, o)
			}
		}
	}
	return c, nil
}

// get walks o by keys; it returns nil where the path does not exist.
func get(o any, keys ...string) any {
	for _, k := range keys {
		m, ok := o.(obj)
		if !ok {
			return nil
		}
		o = m[k]
	}
	return o
}

func str(o any, keys ...string) string { s, _ := get(o, keys...).(string); return s }
func list(o any, keys ...string) []any { l, _ := get(o, keys...).([]any); return l }
func strMap(o any, keys ...string) map[string]string {
	out := map[string]string{}
	m, _ := get(o, keys...).(obj)
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func name(o obj) string { return str(o, "kind") + "/" + str(o, "metadata", "name") }

func (c *checker) byKind(kind string) []obj {
	var out []obj
	for _, o := range c.objects {
		if str(o, "kind") == kind {
			out = append(out, o)
		}
	}
	return out
}

func (c *checker) find(kind, n string) obj {
	for _, o := range c.byKind(kind) {
		if str(o, "metadata", "name") == n {
			return o
		}
	}
	return nil
}

// selects reports whether every label of sel is in labels.
func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (c *checker) check() {
	image := ""
	for _, d := range c.byKind("Deployment") {
		pod := get(d, "spec", "template")
		if !selects(strMap(d, "spec", "selector", "matchLabels"), strMap(pod, "metadata", "labels")) {
			c.errorf("%s: spec.selector does not select its own pod template", name(d))
		}
		containers := append(list(pod, "spec", "initContainers"), list(pod, "spec", "containers")...)
		for _, ct := range containers {
			where := name(d) + " container " + str(ct, "name")
			img := str(ct, "image")
			if img == "" {
				c.errorf("%s: no image", where)
			} else if image == "" {
				image = img
			} else if img != image {
				c.errorf("%s: image %s, but other containers run %s", where, img, image)
			}
			c.checkArgs(where, ct)
			c.checkEnv(where, ct)
			c.checkProbes(where, ct)
		}
		if ru := get(d, "spec", "strategy", "rollingUpdate"); ru != nil {
			c.checkIntOrPercent(name(d)+" rollingUpdate.maxUnavailable", get(ru, "maxUnavailable"))
			c.checkIntOrPercent(name(d)+" rollingUpdate.maxSurge", get(ru, "maxSurge"))
		}
		for _, ct := range list(pod, "spec", "containers") {
			if str(ct, "name") == "serve" {
				c.checkServe(name(d), pod.(obj), ct.(obj))
			}
		}
	}
	c.checkSelectors()
}

func (c *checker) checkArgs(where string, ct any) {
	if len(list(ct, "command")) > 0 {
		c.errorf("%s: sets command; the image's entrypoint is eligo, give args only", where)
	}
	args := list(ct, "args")
	if len(args) == 0 {
		c.errorf("%s: no args: the first must be eligo's subcommand", where)
		return
	}
	sub := fmt.Sprint(args[0])
	known, ok := c.flags[sub]
	if !ok {
		c.errorf("%s: subcommand %q is not one of those checked (%s)", where, sub, strings.Join(keys(c.flags), ", "))
		return
	}
	for _, a := range args[1:] {
		s := fmt.Sprint(a)
		if !strings.HasPrefix(s, "--") {
			c.errorf("%s: argument %q: write flags as --name=value", where, s)
			continue
		}
		f, _, _ := strings.Cut(strings.TrimPrefix(s, "--"), "=")
		if !known[f] {
			c.errorf("%s: eligo %s has no flag --%s (eligo %s -h)", where, sub, f, sub)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (c *checker) checkEnvName(where, n string) {
	if strings.HasPrefix(n, "ELIGO_") && !c.env[n] {
		c.errorf("%s: %s is not read by cmd/eligo", where, n)
	}
}

func (c *checker) checkEnv(where string, ct any) {
	for _, e := range list(ct, "env") {
		n := str(e, "name")
		c.checkEnvName(where, n)
		for _, ref := range []struct{ kind, key string }{{"ConfigMap", "configMapKeyRef"}, {"Secret", "secretKeyRef"}} {
			if r := get(e, "valueFrom", ref.key); r != nil {
				c.checkKey(where+" env "+n, ref.kind, str(r, "name"), str(r, "key"))
			}
		}
	}
	for _, ef := range list(ct, "envFrom") {
		for _, ref := range []struct{ kind, key string }{{"ConfigMap", "configMapRef"}, {"Secret", "secretRef"}} {
			r := get(ef, ref.key)
			if r == nil {
				continue
			}
			o := c.find(ref.kind, str(r, "name"))
			if o == nil {
				c.errorf("%s: envFrom names %s/%s, which is not in the manifests", where, ref.kind, str(r, "name"))
				continue
			}
			for k := range c.data(o) {
				c.checkEnvName(where+" (from "+name(o)+")", str(ef, "prefix")+k)
			}
		}
	}
}

// data returns the keys of a ConfigMap's or Secret's data and stringData.
func (c *checker) data(o obj) map[string]string {
	d := strMap(o, "data")
	for k, v := range strMap(o, "stringData") {
		d[k] = v
	}
	return d
}

func (c *checker) checkKey(where, kind, n, key string) {
	o := c.find(kind, n)
	if o == nil {
		c.errorf("%s: %s/%s is not in the manifests", where, kind, n)
		return
	}
	if _, ok := c.data(o)[key]; !ok {
		c.errorf("%s: %s/%s has no key %s", where, kind, n, key)
	}
}

func flagValue(ct obj, flagName string) (string, bool) {
	for _, a := range list(ct, "args") {
		if v, ok := strings.CutPrefix(fmt.Sprint(a), "--"+flagName+"="); ok {
			return v, true
		}
	}
	return "", false
}

func (c *checker) checkServe(d string, pod, ct obj) {
	where := d + " container serve"
	if p := str(ct, "readinessProbe", "httpGet", "path"); p != "/readyz" {
		c.errorf("%s: readinessProbe must GET /readyz, not %q", where, p)
	}
	if p := str(ct, "livenessProbe", "httpGet", "path"); p != "/healthz" {
		c.errorf("%s: livenessProbe must GET /healthz, not %q", where, p)
	}
	duration := func(flagName string) time.Duration {
		v, ok := flagValue(ct, flagName)
		if !ok {
			c.errorf("%s: set --%s explicitly, so the grace period can be checked against it", where, flagName)
			return 0
		}
		dur, err := time.ParseDuration(v)
		if err != nil {
			c.errorf("%s: --%s=%s: %v", where, flagName, v, err)
		}
		return dur
	}
	delay, timeout := duration("shutdown-delay"), duration("shutdown-timeout")
	sleep, ok := get(ct, "lifecycle", "preStop", "sleep", "seconds").(float64)
	if !ok {
		c.errorf("%s: no lifecycle.preStop.sleep.seconds (the image has no shell for an exec sleep)", where)
	} else if time.Duration(sleep)*time.Second != delay {
		c.errorf("%s: preStop sleeps %gs but --shutdown-delay is %s: they must match", where, sleep, delay)
	}
	grace := 30.0 // Kubernetes' default
	if g, ok := get(pod, "spec", "terminationGracePeriodSeconds").(float64); ok {
		grace = g
	}
	need := time.Duration(sleep)*time.Second + delay + timeout
	if time.Duration(grace)*time.Second < need {
		c.errorf("%s: terminationGracePeriodSeconds %g is shorter than preStop + --shutdown-delay + --shutdown-timeout = %s", d, grace, need)
	}
}

var percent = regexp.MustCompile(`^[0-9]+%$`)

// checkIntOrPercent checks what the schema leaves to the API server: an
// int-or-string count is a number or a percentage.
func (c *checker) checkIntOrPercent(where string, v any) {
	if s, ok := v.(string); ok && !percent.MatchString(s) {
		c.errorf("%s: %q is neither a number nor a percentage", where, s)
	}
}

// checkProbes checks that every probe's port is one the container declares.
func (c *checker) checkProbes(where string, ct any) {
	declared := ports(obj{"spec": obj{"containers": []any{ct}}})
	for _, probe := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
		for _, handler := range []string{"httpGet", "tcpSocket", "grpc"} {
			if p := get(ct, probe, handler, "port"); p != nil && !declared[fmt.Sprint(p)] {
				c.errorf("%s: %s port %v is not a port of the container", where, probe, p)
			}
		}
	}
}

// ports returns the named ports of a pod template's containers.
func ports(pod any) map[string]bool {
	out := map[string]bool{}
	for _, ct := range list(pod, "spec", "containers") {
		for _, p := range list(ct, "ports") {
			if n := str(p, "name"); n != "" {
				out[n] = true
			}
			if n, ok := get(p, "containerPort").(float64); ok {
				out[strconv.Itoa(int(n))] = true
			}
		}
	}
	return out
}

func (c *checker) checkSelectors() {
	pods := func(sel map[string]string) []any {
		var out []any
		for _, d := range c.byKind("Deployment") {
			if selects(sel, strMap(d, "spec", "template", "metadata", "labels")) {
				out = append(out, get(d, "spec", "template"))
			}
		}
		return out
	}
	for _, s := range c.byKind("Service") {
		selected := pods(strMap(s, "spec", "selector"))
		if len(selected) == 0 {
			c.errorf("%s: its selector selects no Deployment's pods", name(s))
			continue
		}
		for _, p := range list(s, "spec", "ports") {
			target := fmt.Sprint(get(p, "targetPort"))
			for _, pod := range selected {
				if !ports(pod)[target] {
					c.errorf("%s: targetPort %s is not a port of the pods it selects", name(s), target)
				}
			}
		}
	}
	for _, p := range c.byKind("PodDisruptionBudget") {
		c.checkIntOrPercent(name(p)+" minAvailable", get(p, "spec", "minAvailable"))
		c.checkIntOrPercent(name(p)+" maxUnavailable", get(p, "spec", "maxUnavailable"))
		if len(pods(strMap(p, "spec", "selector", "matchLabels"))) == 0 {
			c.errorf("%s: its selector selects no Deployment's pods", name(p))
		}
	}
	for _, m := range c.byKind("ServiceMonitor") {
		servicePorts := map[string]bool{}
		for _, s := range c.byKind("Service") {
			if selects(strMap(m, "spec", "selector", "matchLabels"), strMap(s, "metadata", "labels")) {
				for _, p := range list(s, "spec", "ports") {
					servicePorts[str(p, "name")] = true
				}
			}
		}
		if len(servicePorts) == 0 {
			c.errorf("%s: its selector selects no Service", name(m))
		}
		for _, e := range list(m, "spec", "endpoints") {
			if !servicePorts[str(e, "port")] {
				c.errorf("%s: endpoint port %q is not a port of the Services it selects", name(m), str(e, "port"))
			}
			if str(e, "path") != "/metrics" {
				c.errorf("%s: endpoint port %q scrapes %q, not /metrics", name(m), str(e, "port"), str(e, "path"))
			}
		}
	}
}
