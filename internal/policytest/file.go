package policytest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/strictjson"
)

// PolicyBuiltin is the "policy" of a test file that tests the built-in
// policy (eligo.DefaultPolicy).
const PolicyBuiltin = "builtin"

// File is one test file, decoded and checked: every case names an order
// of the file, and every timestamp is RFC 3339.
type File struct {
	Path   string // as given
	Name   string // the file's "name", or its path
	Policy string // as the file names it: "builtin" or a path relative to the file
	Orders map[string]eligo.Order
	Cases  []Case
}

// Case is one expectation: at Now, Action on Order is decided as Expect
// says.
type Case struct {
	Name   string
	Order  string // a key of File.Orders
	Now    time.Time
	Action string
	Expect Expectation
}

// Expectation is what a case expects of the decision. Reason and Until
// are checked only when the file gives them; an Until given as null
// expects a decision that never changes by the clock (a zero Until).
type Expectation struct {
	Allowed     bool
	Reason      string
	CheckReason bool
	Until       time.Time
	CheckUntil  bool
}

// Matches reports whether d is what e expects.
func (e Expectation) Matches(d eligo.Decision) bool {
	return d.Allowed == e.Allowed &&
		(!e.CheckReason || d.Reason == e.Reason) &&
		(!e.CheckUntil || d.Until.Equal(e.Until))
}

// The test file, as JSON (YAML is turned into it first).
type fileJSON struct {
	Name   string              `json:"name"`
	Policy string              `json:"policy"`
	Orders map[string]Snapshot `json:"orders"`
	Cases  []caseJSON          `json:"cases"`
}

type caseJSON struct {
	Name   string      `json:"name"`
	Order  string      `json:"order"`
	Now    string      `json:"now"`
	Action string      `json:"action"`
	Expect *expectJSON `json:"expect"`
}

type expectJSON struct {
	Allowed *bool          `json:"allowed"`
	Reason  *string        `json:"reason"`
	Until   jsontext.Value `json:"until"` // absent: not checked; null: never changes
}

// maxFileSize bounds a test file.
const maxFileSize = 4 << 20

// Load reads and checks the test file at path (see Parse).
func Load(path string) (*File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, eligo.Errorf(eligo.EINVALID, "cannot read the test file: %v", err)
	}
	if info.Size() > maxFileSize {
		return nil, eligo.Errorf(eligo.EINVALID, "%s is %d bytes; a test file is at most %d", path, info.Size(), maxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, eligo.Errorf(eligo.EINVALID, "cannot read the test file: %v", err)
	}
	return Parse(path, data)
}

// Parse decodes and checks a test file: JSON for a path ending in .json,
// YAML for .yaml or .yml (see docs/policies.md for the format). Unknown
// fields, a missing policy, no cases, a case without a name, a name used
// twice, a case naming an order the file lacks, a missing or malformed
// timestamp and an order that breaks an order's rules are refused with an
// EINVALID error naming the file and the place. An action the policy
// lacks is not an error here: Decide answers it with reason
// unknown_action, which a case may expect.
func Parse(path string, data []byte) (*File, error) {
	var fj fileJSON
	if err := decodeStrict(path, data, &fj); err != nil {
		return nil, err
	}
	f, err := fj.check(path)
	if err != nil {
		return nil, eligo.Errorf(eligo.EINVALID, "%s: %s", path, eligo.ErrorMessage(err))
	}
	return f, nil
}

func (fj *fileJSON) check(path string) (*File, error) {
	f := &File{Path: path, Name: fj.Name, Policy: fj.Policy, Orders: map[string]eligo.Order{}}
	if f.Name == "" {
		f.Name = path
	}
	if f.Policy == "" {
		return nil, eligo.Errorf(eligo.EINVALID, "policy is required; expected %q or the path of a policy file, relative to this file", PolicyBuiltin)
	}
	if len(fj.Orders) == 0 {
		return nil, eligo.Errorf(eligo.EINVALID, "orders is empty; expected at least one order snapshot, by name")
	}
	names := make([]string, 0, len(fj.Orders))
	for name := range fj.Orders {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := fj.Orders[name]
		o, err := s.Order("orders."+name, name)
		if err != nil {
			return nil, err
		}
		f.Orders[name] = o
	}
	if len(fj.Cases) == 0 {
		return nil, eligo.Errorf(eligo.EINVALID, "cases is empty; expected at least one case")
	}
	seen := map[string]bool{}
	for i := range fj.Cases {
		c, err := fj.Cases[i].check(fmt.Sprintf("cases[%d]", i), f.Orders)
		if err != nil {
			return nil, err
		}
		if seen[c.Name] {
			return nil, eligo.Errorf(eligo.EINVALID, "cases[%d]: the name %q is used by an earlier case; case names are unique", i, c.Name)
		}
		seen[c.Name] = true
		f.Cases = append(f.Cases, c)
	}
	return f, nil
}

func (cj *caseJSON) check(where string, orders map[string]eligo.Order) (Case, error) {
	c := Case{Name: cj.Name, Order: cj.Order, Action: cj.Action}
	if c.Name == "" {
		return Case{}, eligo.Errorf(eligo.EINVALID, "%s.name is required", where)
	}
	where = fmt.Sprintf("%s (%q)", where, c.Name)
	if c.Order == "" {
		return Case{}, eligo.Errorf(eligo.EINVALID, "%s.order is required; expected the name of one of the file's orders", where)
	}
	if _, ok := orders[c.Order]; !ok {
		return Case{}, eligo.Errorf(eligo.EINVALID, "%s.order: the file has no order %q under orders", where, c.Order)
	}
	if c.Action == "" {
		return Case{}, eligo.Errorf(eligo.EINVALID, "%s.action is required; expected an action of the policy, such as cancel", where)
	}
	var err error
	if c.Now, err = requiredTime(where+".now", cj.Now); err != nil {
		return Case{}, err
	}
	if err := eligo.CheckTimeRange(where+".now", c.Now); err != nil {
		return Case{}, err
	}
	if cj.Expect == nil || cj.Expect.Allowed == nil {
		return Case{}, eligo.Errorf(eligo.EINVALID, "%s.expect.allowed is required; expected true or false", where)
	}
	c.Expect.Allowed = *cj.Expect.Allowed
	if cj.Expect.Reason != nil {
		c.Expect.Reason, c.Expect.CheckReason = *cj.Expect.Reason, true
	}
	if until := bytes.TrimSpace(cj.Expect.Until); len(until) > 0 {
		c.Expect.CheckUntil = true
		if string(until) != "null" {
			var s string
			if err := jsonString(until, &s); err != nil {
				return Case{}, eligo.Errorf(eligo.EINVALID, "%s.expect.until is not a string; expected an RFC 3339 timestamp, or null for a decision that never changes by the clock", where)
			}
			if c.Expect.Until, err = strictjson.Timestamp(where+".expect.until", s); err != nil {
				return Case{}, err
			}
		}
	}
	return c, nil
}

// jsonString decodes a JSON string value.
func jsonString(v jsontext.Value, s *string) error {
	dec := jsontext.NewDecoder(bytes.NewReader(v))
	tok, err := dec.ReadToken()
	if err != nil || tok.Kind() != '"' {
		return fmt.Errorf("not a string")
	}
	*s = tok.String()
	return nil
}

// LoadPolicy returns the policy the file names: the built-in one, or the
// file at its path, relative to the test file's directory.
func (f *File) LoadPolicy() (*eligo.Policy, error) {
	if f.Policy == PolicyBuiltin {
		return eligo.DefaultPolicy(), nil
	}
	path := f.PolicyPath()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, eligo.Errorf(eligo.EINVALID, "%s: policy %q: cannot read it: %v", f.Path, f.Policy, err)
	}
	p, err := eligo.ParsePolicy(data)
	if err != nil {
		return nil, eligo.Errorf(eligo.EINVALID, "%s: policy %s: %s", f.Path, path, eligo.ErrorMessage(err))
	}
	return p, nil
}

// PolicyPath is the path of the policy file the test file names, as the
// process opens it; "" for the built-in policy.
func (f *File) PolicyPath() string {
	if f.Policy == PolicyBuiltin {
		return ""
	}
	if filepath.IsAbs(f.Policy) {
		return f.Policy
	}
	return filepath.Join(filepath.Dir(f.Path), f.Policy)
}
