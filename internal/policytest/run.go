package policytest

import (
	"time"

	"github.com/eligo/eligo"
)

// Result is the outcome of one test file: a result per case, or Err when
// the file (or the policy it names) could not be read, in which case no
// case ran.
type Result struct {
	Path          string
	Name          string // the file's name, or its path
	PolicyVersion string // of the policy the cases ran against
	Cases         []CaseResult
	Err           error
	Elapsed       time.Duration
}

// CaseResult is one case run: the decision that came, and whether it is
// the one expected.
type CaseResult struct {
	Case
	Got     eligo.Decision
	Passed  bool
	Elapsed time.Duration
}

// Failed counts the cases that failed.
func (r *Result) Failed() int {
	n := 0
	for i := range r.Cases {
		if !r.Cases[i].Passed {
			n++
		}
	}
	return n
}

// OK reports whether the file was read and every case passed.
func (r *Result) OK() bool { return r.Err == nil && r.Failed() == 0 }

// Run runs every case of f against p, each with the clock pinned at its
// own Now: the decision is eligo.Decide's, as the service would answer at
// that instant.
func Run(f *File, p *eligo.Policy) Result {
	start := time.Now()
	r := Result{Path: f.Path, Name: f.Name, PolicyVersion: p.VersionString()}
	for _, c := range f.Cases {
		o := f.Orders[c.Order]
		t := time.Now()
		got := eligo.Decide(&o, p, c.Action, c.Now)
		r.Cases = append(r.Cases, CaseResult{Case: c, Got: got, Passed: c.Expect.Matches(got), Elapsed: time.Since(t)})
	}
	r.Elapsed = time.Since(start)
	return r
}

// RunFile loads the test file at path and runs it against the policy it
// names, or against p when p is not nil (`eligo policy apply --tests`
// tests the policy about to be applied, whatever the file names). A file
// that cannot be read is a Result with Err.
func RunFile(path string, p *eligo.Policy) Result {
	f, err := Load(path)
	if err != nil {
		return Result{Path: path, Name: path, Err: err}
	}
	if p == nil {
		if p, err = f.LoadPolicy(); err != nil {
			return Result{Path: path, Name: f.Name, Err: err}
		}
	}
	return Run(f, p)
}

// String words what the expectation checks, in the words of Decision's
// String: "not allowed outside_window until 2026-01-01T12:10:00Z".
func (e Expectation) String() string {
	s := verdict(e.Allowed)
	if e.CheckReason {
		s += " " + e.Reason
	}
	if e.CheckUntil {
		s += " until " + untilText(e.Until)
	}
	return s
}

// DecisionText words a decision: "allowed sla_breached until never".
func DecisionText(d eligo.Decision) string {
	return verdict(d.Allowed) + " " + d.Reason + " until " + untilText(d.Until)
}

func verdict(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "not allowed"
}

func untilText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
