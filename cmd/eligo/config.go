package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Configuration is read once, the same way, by every command: each command
// has one config type whose flags method declares its flags on a flagSet,
// and parse reads the command line and then, for every flag the command
// line left unset, its ELIGO_* variable. Each flag has a variable (ELIGO_
// and the flag's name by default), a default that the help shows, and a
// value type that refuses bad input with the form it expects. Adding a
// setting is one line in a flags method:
//
//	f.Count(&c.MaxConns, "max-conns", 0, "most connections ...")

// flagSet is one command's flags and the variable of each.
type flagSet struct {
	fs     *flag.FlagSet
	cmd    string            // "serve", "dev kafka"
	env    map[string]string // flag name -> variable; shared by scoped copies
	prefix string            // of variables named after their flag
}

func newFlagSet(cmd string) *flagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // parse prints the help, or the error and a hint
	return &flagSet{fs: fs, cmd: cmd, env: map[string]string{}, prefix: "ELIGO_"}
}

// scoped returns the same set, whose next flags are read from variables
// named prefix and the flag's name (ELIGO_DEMO_ORDERS for --orders).
func (f *flagSet) scoped(prefix string) *flagSet {
	c := *f
	c.prefix = prefix
	return &c
}

func (f *flagSet) define(v flag.Value, name, usage string) {
	f.fs.Var(v, name, usage)
	f.env[name] = f.prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// envName names the variable of flag name, replacing the default one.
func (f *flagSet) envName(name, key string) { f.env[name] = key }

// String declares a string flag.
func (f *flagSet) String(p *string, name, def, usage string) {
	*p = def
	f.define((*stringValue)(p), name, usage)
}

// Bool declares a boolean flag: --name, --name=false.
func (f *flagSet) Bool(p *bool, name string, def bool, usage string) {
	*p = def
	f.define((*boolValue)(p), name, usage)
}

// Duration declares a duration flag of at least min.
func (f *flagSet) Duration(p *time.Duration, name string, def, min time.Duration, usage string) {
	*p = def
	f.define(&durationValue{p, min}, name, usage)
}

// Count declares a whole-number flag of at least min (a limit, a size).
func (f *flagSet) Count(p *int, name string, def, min int, usage string) {
	*p = def
	f.define(&intValue{p, min}, name, usage)
}

// Share declares a number from 0 to 1.
func (f *flagSet) Share(p *float64, name string, def float64, usage string) {
	*p = def
	f.define((*shareValue)(p), name, usage)
}

// Seed declares a random seed.
func (f *flagSet) Seed(p *uint64, name string, def uint64, usage string) {
	*p = def
	f.define((*seedValue)(p), name, usage)
}

// Enum declares a flag that takes one of allowed.
func (f *flagSet) Enum(p *string, name, def string, allowed []string, usage string) {
	*p = def
	f.define(&enumValue{p, allowed}, name, usage)
}

// setDefaultText replaces the default the help shows, for a default that
// is not a value (a new temporary directory, a random seed).
func (f *flagSet) setDefaultText(name, text string) { f.fs.Lookup(name).DefValue = text }

// errHelp is returned by parse for -h: the help is printed, nothing runs.
var errHelp = errors.New("help requested")

// usageError is a mistake in the command line or the environment: main
// prints it with a hint to -h and exits 2.
type usageError struct {
	cmd string // the command whose -h helps
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// parse reads args and then, for every flag they leave unset, its
// variable. -h prints the help on stdout and returns errHelp. A bad flag or
// variable is a *usageError naming it and the form expected.
func (f *flagSet) parse(args []string, getenv func(string) string, stdout io.Writer, about string) error {
	err := f.fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		f.printHelp(stdout, about)
		return errHelp
	}
	if err != nil {
		return &usageError{f.cmd, err}
	}
	if f.fs.NArg() > 0 {
		return &usageError{f.cmd, fmt.Errorf("unexpected arguments %q", f.fs.Args())}
	}
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var errs []error
	f.fs.VisitAll(func(fl *flag.Flag) {
		key := f.env[fl.Name]
		if v := getenv(key); v != "" && !set[fl.Name] {
			if err := fl.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", key, v, err))
			}
		}
	})
	if len(errs) > 0 {
		return &usageError{f.cmd, errors.Join(errs...)}
	}
	return nil
}

// printHelp writes the command's help: what it does, then every flag with
// its variable and default. Usage texts are printed as they are written;
// back-quoted words in them are not placeholders.
func (f *flagSet) printHelp(w io.Writer, about string) {
	fmt.Fprintf(w, "Usage: eligo %s [flags]\n\n%s\n\nFlags (each may be set by the variable named with it):\n", f.cmd, strings.TrimSpace(about))
	f.fs.VisitAll(func(fl *flag.Flag) {
		line := "  --" + fl.Name
		if t := typeName(fl.Value); t != "" {
			line += " " + t
		}
		def := fl.DefValue
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "%s\n      %s\n      (env %s; default %s)\n", line, fl.Usage, f.env[fl.Name], def)
	})
}

func typeName(v flag.Value) string {
	switch v := v.(type) {
	case *boolValue:
		return ""
	case *durationValue:
		return "duration"
	case *intValue, *seedValue:
		return "int"
	case *shareValue:
		return "share"
	case *enumValue:
		return strings.Join(v.allowed, "|")
	case *timeValue:
		return "time"
	case *listValue:
		return "list"
	}
	return "string"
}

// The value types. Each Set refuses what it cannot take with the form it
// expects; the flag package puts the flag's name in front.

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

type boolValue bool

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("expected true or false")
	}
	*v = boolValue(b)
	return nil
}
func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }

type durationValue struct {
	p   *time.Duration
	min time.Duration
}

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("expected a Go duration such as 30s")
	}
	if d < v.min {
		if v.min == 0 {
			return errors.New("expected a duration of 0s or more, such as 30s")
		}
		return fmt.Errorf("expected a duration of %s or more, such as 30s", v.min)
	}
	*v.p = d
	return nil
}

func (v *durationValue) String() string {
	if v.p == nil {
		return ""
	}
	return v.p.String()
}

type intValue struct {
	p   *int
	min int
}

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < v.min {
		return fmt.Errorf("expected a whole number of %d or more", v.min)
	}
	*v.p = n
	return nil
}

func (v *intValue) String() string {
	if v.p == nil {
		return ""
	}
	return strconv.Itoa(*v.p)
}

type shareValue float64

func (v *shareValue) Set(s string) error {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x < 0 || x > 1 {
		return errors.New("expected a share from 0 to 1, such as 0.25")
	}
	*v = shareValue(x)
	return nil
}
func (v *shareValue) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }

type seedValue uint64

func (v *seedValue) Set(s string) error {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return errors.New("expected a whole number of 0 or more")
	}
	*v = seedValue(n)
	return nil
}
func (v *seedValue) String() string { return strconv.FormatUint(uint64(*v), 10) }

type enumValue struct {
	p       *string
	allowed []string
}

func (v *enumValue) Set(s string) error {
	for _, a := range v.allowed {
		if strings.EqualFold(s, a) {
			*v.p = a
			return nil
		}
	}
	return fmt.Errorf("expected one of %s", strings.Join(v.allowed, ", "))
}

func (v *enumValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// otherVariables are the ELIGO_* variables that are not flags: secrets,
// which never go on a command line.
var otherVariables = []string{"ELIGO_SERVICE_TOKENS", "ELIGO_CUSTOMER_TOKEN_SECRET"}

// commandFlags returns the flag set of every command, as each declares
// it, for the help of the variables and for knownVariables.
func commandFlags() []*flagSet {
	sets := []*flagSet{}
	for _, cmd := range []string{"serve", "worker", "demo", "load", "token customer", "order", "policy test", "policy explain", "policy apply", "migrate", "dev kafka"} {
		f := newFlagSet(cmd)
		switch cmd {
		case "serve":
			new(serverConfig).serveFlags(f)
		case "worker":
			new(serverConfig).workerFlags(f)
		case "demo":
			new(demoConfig).flags(f)
		case "load":
			new(loadConfig).flags(f)
		case "token customer":
			new(tokenConfig).flags(f)
		case "order":
			new(orderConfig).flags(f)
		case "policy test":
			new(policyTestConfig).flags(f)
		case "policy explain":
			new(policyExplainConfig).flags(f)
		case "policy apply":
			new(policyApplyConfig).flags(f)
		case "migrate":
			new(migrateConfig).flags(f)
		case "dev kafka":
			new(devKafkaConfig).flags(f)
		}
		sets = append(sets, f)
	}
	return sets
}

// knownVariables are the ELIGO_* variables some command reads.
func knownVariables() []string {
	seen := map[string]bool{}
	for _, v := range otherVariables {
		seen[v] = true
	}
	for _, f := range commandFlags() {
		for _, v := range f.env {
			seen[v] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// warnUnknownVariables writes a warning for each ELIGO_* variable of
// environ that no command reads, naming the closest one that some command
// does: a misspelt variable is otherwise silently ignored. ELIGO_TEST_*
// belong to the tests.
func warnUnknownVariables(w io.Writer, environ []string) {
	known := knownVariables()
	isKnown := map[string]bool{}
	for _, k := range known {
		isKnown[k] = true
	}
	for _, kv := range environ {
		key, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(key, "ELIGO_") || strings.HasPrefix(key, "ELIGO_TEST_") || isKnown[key] {
			continue
		}
		best, bestD := "", -1
		for _, k := range known {
			if d := editDistance(key, k); bestD < 0 || d < bestD {
				best, bestD = k, d
			}
		}
		fmt.Fprintf(w, "eligo: warning: %s is not read by any eligo command; did you mean %s?\n", key, best)
	}
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// exitStatus reports err on stderr and returns the process's exit status:
// 0 without an error, 2 for a mistake in the command line or environment
// (with a hint to the help), 1 for anything else.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "eligo: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) {
		if ue.cmd == "" {
			fmt.Fprintln(stderr, `Run "eligo help" for the commands.`)
		} else {
			fmt.Fprintf(stderr, "Run \"eligo %s -h\" for its flags.\n", ue.cmd)
		}
		return 2
	}
	return 1
}
