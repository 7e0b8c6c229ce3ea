package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/policytest"
	"github.com/eligo/eligo/internal/strictjson"
)

// policyAbout is the help of `eligo policy`.
const policyAbout = `Work with policy files (docs/policies.md):
  eligo policy test FILE... [--junit FILE]     run policy test files
  eligo policy check FILE                      validate a policy, print its rules and version
  eligo policy explain FILE --order ORDER.json [--from T1] [--to T2]
                                               every action's answers over a span, and why
  eligo policy apply FILE [--tests TESTFILE...] --url URL --token TOKEN
                                               test, then make it the server's current policy`

// runPolicy runs `eligo policy test|check|explain|apply`.
func runPolicy(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return &usageError{"policy", errors.New(`policy: expected "eligo policy test|check|explain|apply"`)}
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "test":
		return runPolicyTest(rest, getenv, stdout)
	case "check":
		return runPolicyCheck(rest, getenv, stdout)
	case "explain":
		return runPolicyExplain(rest, getenv, stdout)
	case "apply":
		return runPolicyApply(ctx, rest, getenv, stdout)
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: eligo policy test|check|explain|apply ...\n\n%s\n\nRun \"eligo policy <command> -h\" for a command's flags.\n", policyAbout)
		return nil
	}
	return &usageError{"policy", fmt.Errorf("policy: unknown command %q; expected test, check, explain or apply", sub)}
}

// splitArgs separates a policy command's file arguments from its flags,
// which may come before, between or after them. The values of the flag
// named variadic may be several arguments (--tests a.yaml b.yaml, as a
// shell glob gives them): each argument after its value that is not a
// flag is one more value.
func splitArgs(f *flagSet, args []string, variadic string) (files, flags []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(files, args[i+1:]...), flags
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			files = append(files, a)
			continue
		}
		flags = append(flags, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		fl := f.fs.Lookup(name)
		if fl == nil {
			continue // parse reports it
		}
		if _, isBool := fl.Value.(*boolValue); isBool {
			continue
		}
		if !hasValue && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
		if name == variadic {
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				flags = append(flags, "--"+name, args[i])
			}
		}
	}
	return files, flags
}

// policyTestAbout is the help of `eligo policy test`.
const policyTestAbout = `eligo policy test FILE... [--junit FILE]

Run policy test files (JSON or YAML; docs/policies.md, "Testing a policy"):
each names a policy, order snapshots and cases that expect a decision at a
pinned instant. Prints one row per case (file, case, action, expected, got,
PASS or FAIL) and exits 1 when a case fails or a file cannot be read.`

// policyTestConfig is the configuration of `eligo policy test`.
type policyTestConfig struct {
	JUnit string
}

// flags declares the flags of `eligo policy test` into c.
func (c *policyTestConfig) flags(f *flagSet) {
	f.scoped("ELIGO_POLICY_").String(&c.JUnit, "junit", "", "also write the results to this file as JUnit XML, for CI systems")
}

func runPolicyTest(args []string, getenv func(string) string, stdout io.Writer) error {
	var c policyTestConfig
	f := newFlagSet("policy test")
	c.flags(f)
	files, flags := splitArgs(f, args, "")
	if err := f.parse(flags, getenv, stdout, policyTestAbout); err != nil {
		return err
	}
	if len(files) == 0 {
		return &usageError{"policy test", errors.New("policy test: expected one or more test files: eligo policy test FILE...")}
	}
	results := make([]policytest.Result, 0, len(files))
	for _, path := range files {
		results = append(results, policytest.RunFile(path, nil))
	}
	if err := printResults(stdout, results); err != nil {
		return err
	}
	if c.JUnit != "" {
		if err := writeJUnitFile(c.JUnit, results); err != nil {
			return fmt.Errorf("policy test: %w", err)
		}
	}
	if err := resultsError(results); err != nil {
		return fmt.Errorf("policy test: %w", err)
	}
	return nil
}

// printResults writes the table of test results, each file that could not
// be read, and a summary line.
func printResults(w io.Writer, results []policytest.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tCASE\tACTION\tEXPECTED\tGOT\tRESULT")
	cases, failed, bad := 0, 0, 0
	for _, r := range results {
		for _, c := range r.Cases {
			verdict := "PASS"
			if !c.Passed {
				verdict = "FAIL"
				failed++
			}
			cases++
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Path, c.Name, c.Action, c.Expect, policytest.DecisionText(c.Got), verdict)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.Err != nil {
			bad++
			fmt.Fprintf(w, "ERROR %s\n", eligo.ErrorMessage(r.Err))
		}
	}
	_, err := fmt.Fprintf(w, "%d %s, %d %s: %d passed, %d failed; %d %s could not be read\n",
		len(results), plural(len(results), "file", "files"), cases, plural(cases, "case", "cases"), cases-failed, failed, bad, plural(bad, "file", "files"))
	return err
}

// resultsError is nil when every file was read and every case passed.
func resultsError(results []policytest.Result) error {
	failed, bad := 0, 0
	for i := range results {
		failed += results[i].Failed()
		if results[i].Err != nil {
			bad++
		}
	}
	switch {
	case failed > 0 && bad > 0:
		return fmt.Errorf("%d %s failed and %d test %s could not be read", failed, plural(failed, "case", "cases"), bad, plural(bad, "file", "files"))
	case failed > 0:
		return fmt.Errorf("%d %s failed", failed, plural(failed, "case", "cases"))
	case bad > 0:
		return fmt.Errorf("%d test %s could not be read", bad, plural(bad, "file", "files"))
	}
	return nil
}

func writeJUnitFile(path string, results []policytest.Result) error {
	var b strings.Builder
	if err := policytest.WriteJUnit(&b, results); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("--junit: %v", err)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// policyCheckAbout is the help of `eligo policy check`.
const policyCheckAbout = `eligo policy check FILE

Validate a policy file as eligo serve and PUT /v1/policy do, and print
its version and each action's windows and blocks: the default rules, then
each segment with its match and the actions it gives rules of its own.
Exits 1, with the offending place, when the policy is invalid.`

func runPolicyCheck(args []string, getenv func(string) string, stdout io.Writer) error {
	f := newFlagSet("policy check")
	files, flags := splitArgs(f, args, "")
	if err := f.parse(flags, getenv, stdout, policyCheckAbout); err != nil {
		return err
	}
	if len(files) != 1 {
		return &usageError{"policy check", errors.New("policy check: expected one policy file: eligo policy check FILE")}
	}
	p, err := readPolicyFile(files[0])
	if err != nil {
		return fmt.Errorf("policy check: %w", err)
	}
	return printPolicy(stdout, files[0], p)
}

// readPolicyFile reads and validates a policy file.
func readPolicyFile(path string) (*eligo.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the policy file: %v", err)
	}
	p, err := eligo.ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, eligo.ErrorMessage(err))
	}
	return p, nil
}

// printPolicy writes what the parsed policy holds, from the policy itself.
func printPolicy(w io.Writer, path string, p *eligo.Policy) error {
	fmt.Fprintf(w, "%s is valid\n", filepath.ToSlash(path))
	fmt.Fprintf(w, "version %s (sha256 %s)\n", p.VersionString(), p.Version().Hash)
	fmt.Fprintf(w, "\ndefault rules")
	if len(p.Segments) > 0 {
		fmt.Fprintf(w, " (orders no segment matches)")
	}
	fmt.Fprintln(w, ":")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i := range p.Actions {
		printAction(tw, &p.Actions[i], true)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i := range p.Segments {
		s := &p.Segments[i]
		var conds []string
		for _, m := range s.Match() {
			conds = append(conds, m.Key+" in "+strings.Join(m.Values, ", "))
		}
		fmt.Fprintf(w, "\nsegment %s (%d of %d; %s):\n", s.Name, i+1, len(p.Segments), strings.Join(conds, "; and "))
		var same []string
		for j := range s.Actions {
			if s.Actions[j].SameRules(&p.Actions[j]) {
				same = append(same, s.Actions[j].Name)
				continue
			}
			printAction(tw, &s.Actions[j], false)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(same) > 0 {
			fmt.Fprintf(w, "  %s: the default rules\n", strings.Join(same, ", "))
		}
	}
	return nil
}

func printAction(tw io.Writer, a *eligo.ActionPolicy, withOptions bool) {
	var opts []string
	if withOptions && a.EndsOrder {
		opts = append(opts, "ends_order")
	}
	if withOptions && a.Once {
		opts = append(opts, "once")
	}
	line := "  " + a.Name
	if len(opts) > 0 {
		line += " (" + strings.Join(opts, ", ") + ")"
	}
	fmt.Fprintln(tw, line)
	windows, blocks := a.Rules()
	for _, r := range windows {
		to := "(open-ended)"
		if r.To != "" {
			to = "to " + r.To
		}
		fmt.Fprintf(tw, "    window\t%s\tfrom %s\t%s\n", r.Name, r.From, to)
	}
	if a.Once {
		fmt.Fprintf(tw, "    block\t%s\tonce taken\n", eligo.ReasonAlreadyTaken)
	}
	for _, r := range blocks {
		var when []string
		for _, s := range []struct {
			name string
			list []string
		}{{"status", r.Status}, {"driver_status", r.DriverStatus}, {"payment_status", r.PaymentStatus}} {
			if len(s.list) > 0 {
				when = append(when, s.name+" "+strings.Join(s.list, ","))
			}
		}
		cond := "always"
		if len(when) > 0 {
			cond = strings.Join(when, " or ")
		}
		if r.From != "" {
			cond += "\tfrom " + r.From
		}
		fmt.Fprintf(tw, "    block\t%s\t%s\n", r.Name, cond)
	}
}

// timeValue is a flag holding an RFC 3339 instant.
type timeValue struct{ p *time.Time }

func (v *timeValue) Set(s string) error {
	t, err := strictjson.Timestamp("the value", s)
	if err != nil {
		return errors.New("expected an RFC 3339 timestamp such as 2026-01-01T12:10:00Z")
	}
	*v.p = t
	return nil
}

func (v *timeValue) String() string {
	if v.p == nil || v.p.IsZero() {
		return ""
	}
	return v.p.UTC().Format(time.RFC3339Nano)
}

// Time declares an RFC 3339 instant flag, zero by default.
func (f *flagSet) Time(p *time.Time, name, usage string) {
	f.define(&timeValue{p}, name, usage)
}

// listValue is a flag that may be given several times, or once with
// values separated by commas.
type listValue struct{ p *[]string }

func (v *listValue) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*v.p = append(*v.p, part)
		}
	}
	return nil
}

func (v *listValue) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

// List declares a flag of several values.
func (f *flagSet) List(p *[]string, name, usage string) {
	f.define(&listValue{p}, name, usage)
}
