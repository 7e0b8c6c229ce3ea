package policytest

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/eligo/eligo"
)

// The JUnit XML that CI systems read (GitLab, Jenkins, GitHub's test
// reporters): one testsuite per test file, one testcase per case, a
// failure element for a failed case, and for a file that could not be
// read one testcase with an error element.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	File       string          `xml:"file,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes results as JUnit XML.
func WriteJUnit(w io.Writer, results []Result) error {
	doc := junitSuites{Name: "eligo policy test"}
	var total time.Duration
	for i := range results {
		s := junitSuiteOf(&results[i])
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		total += results[i].Elapsed
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("policytest: write JUnit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitSuiteOf(r *Result) junitSuite {
	s := junitSuite{Name: r.Name, File: r.Path, Time: seconds(r.Elapsed)}
	if r.Err != nil {
		msg := eligo.ErrorMessage(r.Err)
		s.Tests, s.Errors = 1, 1
		s.Cases = []junitCase{{Name: "(test file)", Classname: r.Name, File: r.Path, Time: seconds(0),
			Error: &junitProblem{Message: msg, Type: "invalid_test_file", Text: msg}}}
		return s
	}
	s.Properties = []junitProperty{{Name: "policy_version", Value: r.PolicyVersion}}
	for _, c := range r.Cases {
		jc := junitCase{Name: c.Name, Classname: r.Name, File: r.Path, Time: seconds(c.Elapsed)}
		s.Tests++
		if !c.Passed {
			s.Failures++
			msg := fmt.Sprintf("expected %s, got %s", c.Expect, DecisionText(c.Got))
			jc.Failure = &junitProblem{Message: msg, Type: "decision",
				Text: fmt.Sprintf("order %s, action %s, at %s: %s", c.Order, c.Action, c.Now.UTC().Format(time.RFC3339Nano), msg)}
		}
		s.Cases = append(s.Cases, jc)
	}
	return s
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 6, 64)
}
