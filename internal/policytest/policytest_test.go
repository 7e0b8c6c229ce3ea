package policytest_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/policytest"
)

func TestRunFilePasses(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"testdata/builtin.test.yaml", "testdata/segments.test.json"} {
		r := policytest.RunFile(path, nil)
		require.NoError(t, r.Err, path)
		require.True(t, r.OK(), path)
		require.NotEmpty(t, r.Cases)
		for _, c := range r.Cases {
			require.True(t, c.Passed, "%s: %s: got %s", path, c.Name, policytest.DecisionText(c.Got))
		}
	}
	r := policytest.RunFile("testdata/builtin.test.yaml", nil)
	require.Equal(t, "built-in cancel rule", r.Name)
	require.Equal(t, eligo.DefaultPolicy().VersionString(), r.PolicyVersion)
	// The clock is the case's: the same order is refused at 12:05 and
	// allowed at 12:10.
	require.Equal(t, eligo.Decision{Reason: "outside_window", Until: time.Date(2026, 1, 1, 12, 10, 0, 0, time.UTC)}, r.Cases[0].Got)
	require.Equal(t, eligo.Decision{Allowed: true, Reason: "sla_breached"}, r.Cases[1].Got)
}

// A failing case is reported with the decision that came instead, and the
// other cases of the file still run.
func TestRunFileFailingCase(t *testing.T) {
	t.Parallel()
	r := policytest.RunFile("testdata/failing.test.yaml", nil)
	require.NoError(t, r.Err)
	require.False(t, r.OK())
	require.Equal(t, 2, r.Failed())
	require.True(t, r.Cases[0].Passed)
	require.False(t, r.Cases[1].Passed)
	require.Equal(t, "allowed", r.Cases[1].Expect.String())
	require.Equal(t, "not allowed outside_window until 2026-01-01T12:10:00Z", policytest.DecisionText(r.Cases[1].Got))
	require.False(t, r.Cases[2].Passed, "allowed and the reason match, until does not")
	require.Equal(t, "allowed sla_breached until 2026-01-01T13:00:00Z", r.Cases[2].Expect.String())
	require.Equal(t, "allowed sla_breached until never", policytest.DecisionText(r.Cases[2].Got))
}

// apply --tests runs a file against the policy about to be applied,
// whatever the file names.
func TestRunFileAgainstAnotherPolicy(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(`{"actions": {"cancel": {"windows": [{"name": "always", "from": "placed_at"}]}}}`))
	require.NoError(t, err)
	r := policytest.RunFile("testdata/builtin.test.yaml", p)
	require.NoError(t, r.Err)
	require.Equal(t, p.VersionString(), r.PolicyVersion)
	require.Equal(t, 3, r.Failed(), "every case expects the built-in answers")
	require.Equal(t, eligo.Decision{Allowed: true, Reason: "always"}, r.Cases[0].Got)
}

const goodYAML = `policy: builtin
orders:
  late:
    placed_at: 2026-01-01T12:00:00Z
    promised_at: 2026-01-01T12:10:00Z
cases:
  - name: a
    order: late
    now: 2026-01-01T12:05:00Z
    action: cancel
    expect: {allowed: false}
`

// Bad files are refused with the file, the line and the place; nothing of
// them runs.
func TestParseRefusesBadFiles(t *testing.T) {
	t.Parallel()
	_, err := policytest.Parse("good.yaml", []byte(goodYAML))
	require.NoError(t, err)
	yamlWith := func(old, new string) string {
		require.Contains(t, goodYAML, old)
		return strings.Replace(goodYAML, old, new, 1)
	}
	tests := []struct {
		name, path, data, want string
	}{
		{"unknown field in YAML", "t.yaml", yamlWith("expect: {allowed: false}", "expect: {allowed: false, reson: x}"),
			`t.yaml:11: cases[0].expect: unknown field "reson"; expected one of allowed, reason, until`},
		{"unknown field in JSON", "t.json", `{"policy": "builtin", "orders": {}, "cases": [], "extra": 1}`,
			`t.json:1: unknown field "extra"; expected one of name, policy, orders, cases`},
		{"unknown field of an order", "t.yaml", yamlWith("promised_at:", "promised:"),
			`t.yaml:5: orders.late: unknown field "promised"; expected one of id, placed_at, promised_at,`},
		{"a field of the wrong kind", "t.yaml", yamlWith("name: a", "name: [a]"),
			`t.yaml:7: cases[0].name: is a list; expected a string`},
		{"a YAML number where a string goes", "t.yaml", yamlWith("promised_at: 2026-01-01T12:10:00Z", "promised_at: 2026-01-01T12:10:00Z\n    attributes: {zone: 12}"),
			`t.yaml:6: orders.late.attributes.zone: is a number; expected a string; quote it in YAML ("12")`},
		{"unknown order", "t.yaml", yamlWith("order: late", "order: early"),
			`t.yaml: cases[0] ("a").order: the file has no order "early" under orders`},
		{"bad timestamp", "t.yaml", yamlWith("now: 2026-01-01T12:05:00Z", "now: 2026-01-01 12:05"),
			`t.yaml: cases[0] ("a").now is "2026-01-01 12:05"; expected an RFC 3339 timestamp`},
		{"a date is not a timestamp", "t.yaml", yamlWith("placed_at: 2026-01-01T12:00:00Z", "placed_at: 2026-01-01"),
			`t.yaml: orders.late.placed_at is "2026-01-01"; expected an RFC 3339 timestamp`},
		{"missing promised_at", "t.yaml", yamlWith("    promised_at: 2026-01-01T12:10:00Z\n", ""),
			`t.yaml: orders.late.promised_at is required`},
		{"the order's own rules", "t.yaml", yamlWith("promised_at: 2026-01-01T12:10:00Z", "promised_at: 2025-01-01T12:10:00Z"),
			`t.yaml: orders.late: promised_at (2025-01-01T12:10:00Z) is before placed_at`},
		{"bad status", "t.yaml", yamlWith("    promised_at: 2026-01-01T12:10:00Z\n", "    promised_at: 2026-01-01T12:10:00Z\n    status: GONE\n"),
			`t.yaml: orders.late.status: unknown order status "GONE"`},
		{"until of the wrong kind", "t.yaml", yamlWith("expect: {allowed: false}", "expect: {allowed: false, until: 3}"),
			`t.yaml: cases[0] ("a").expect.until is not a string`},
		{"allowed is required", "t.yaml", yamlWith("expect: {allowed: false}", "expect: {reason: x}"),
			`t.yaml: cases[0] ("a").expect.allowed is required`},
		{"no policy", "t.yaml", yamlWith("policy: builtin\n", ""), `t.yaml: policy is required`},
		{"duplicate case names", "t.yaml", goodYAML + "  - {name: a, order: late, now: 2026-01-01T12:05:00Z, action: cancel, expect: {allowed: false}}\n",
			`t.yaml: cases[1]: the name "a" is used by an earlier case`},
		{"duplicate YAML keys", "t.yaml", yamlWith("policy: builtin\n", "policy: builtin\npolicy: x.json\n"), `t.yaml:2: field "policy" is given twice`},
		{"duplicate JSON members", "t.json", `{"policy": "builtin", "policy": "x"}`, `t.json:1: field "policy" is given twice`},
		{"malformed YAML", "t.yaml", "policy: [builtin\n", `t.yaml: invalid YAML: `},
		{"two YAML documents", "t.yaml", goodYAML + "---\npolicy: builtin\n", `t.yaml:12: a second YAML document`},
		{"an empty file", "t.json", " \n", `t.json is empty`},
		{"an empty YAML file", "t.yaml", "", `t.yaml is empty`},
		{"a YAML list", "t.yaml", "- a\n", `t.yaml:1: is a list; expected an object (a mapping)`},
		{"another extension", "t.toml", goodYAML, `t.toml: unknown file type ".toml"; expected a name ending in .json, .yaml or .yml`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policytest.Parse(tt.path, []byte(tt.data))
			require.Error(t, err)
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "%v", err)
			require.Contains(t, eligo.ErrorMessage(err), tt.want)
		})
	}
}

// An action the policy lacks is not a bad file: Decide answers it with
// unknown_action, so a case that expects otherwise fails with that reason.
func TestUnknownActionFailsTheCase(t *testing.T) {
	t.Parallel()
	f, err := policytest.Parse("t.yaml", []byte(strings.Replace(goodYAML, "action: cancel", "action: refund", 1)))
	require.NoError(t, err)
	r := policytest.Run(f, eligo.DefaultPolicy())
	require.Equal(t, 0, r.Failed(), "expected not allowed, and it is not")
	f.Cases[0].Expect = policytest.Expectation{Allowed: true}
	r = policytest.Run(f, eligo.DefaultPolicy())
	require.Equal(t, 1, r.Failed())
	require.Equal(t, eligo.ReasonUnknownAction, r.Cases[0].Got.Reason)
}

// A policy file that does not parse is the test file's error, with the
// policy's own message.
func TestRunFileBadPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.json"), []byte(`{"actions": {"cancel": {"windows": []}}}`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(strings.Replace(goodYAML, "policy: builtin", "policy: p.json", 1)), 0o600))
	r := policytest.RunFile(filepath.Join(dir, "t.yaml"), nil)
	require.Error(t, r.Err)
	require.Contains(t, eligo.ErrorMessage(r.Err), "actions.cancel has no windows")
	require.False(t, r.OK())
	r = policytest.RunFile(filepath.Join(dir, "absent.yaml"), nil)
	require.ErrorContains(t, r.Err, "cannot read the test file")
}

func TestLoadOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "o.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"id": "ord-1", "placed_at": "2026-01-01T12:00:00Z", "promised_at": "2026-01-01T12:10:00Z",
		"payment_timeout_at": "2026-01-01T12:05:00Z", "payment_status": "PENDING", "attributes": {"city": "AMS"},
		"deadlines": {"event_starts_at": "2026-02-01T20:00:00+01:00"}, "taken": ["refund", "refund"]}`), 0o600))
	o, err := policytest.LoadOrder(path)
	require.NoError(t, err)
	require.Equal(t, "ord-1", o.ID)
	require.Equal(t, eligo.StatusPlaced, o.Status)
	require.Equal(t, eligo.PaymentPending, o.PaymentStatus)
	require.Equal(t, []eligo.Attribute{{Key: "city", Value: "AMS"}}, o.Attributes)
	at, ok := o.Deadline("event_starts_at")
	require.True(t, ok)
	require.Equal(t, time.Date(2026, 2, 1, 19, 0, 0, 0, time.UTC), at)
	require.Equal(t, []string{"refund"}, o.Taken)
	// Payment defaults to PAID, as the format says, timeout or not.
	require.NoError(t, os.WriteFile(path, []byte(`{"placed_at": "2026-01-01T12:00:00Z", "promised_at": "2026-01-01T12:10:00Z", "payment_timeout_at": "2026-01-01T12:05:00Z"}`), 0o600))
	o, err = policytest.LoadOrder(path)
	require.NoError(t, err)
	require.Equal(t, eligo.PaymentPaid, o.PaymentStatus)
	require.NoError(t, os.WriteFile(path, []byte(`{"placed_at": "2026-01-01T12:00:00Z", "promised_at": "2026-01-01T12:10:00Z", "customer_id": "c"}`), 0o600))
	_, err = policytest.LoadOrder(path)
	require.ErrorContains(t, err, `unknown field "customer_id"`)
}

func TestWriteJUnit(t *testing.T) {
	t.Parallel()
	results := []policytest.Result{
		policytest.RunFile("testdata/builtin.test.yaml", nil),
		policytest.RunFile("testdata/failing.test.yaml", nil),
		policytest.RunFile("testdata/absent.test.yaml", nil),
	}
	var buf bytes.Buffer
	require.NoError(t, policytest.WriteJUnit(&buf, results))
	require.True(t, strings.HasPrefix(buf.String(), xml.Header))
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc), buf.String())
	require.Equal(t, 3+3+1, doc.Tests)
	require.Equal(t, 2, doc.Failures)
	require.Equal(t, 1, doc.Errors)
	require.Len(t, doc.Suites, 3)
	require.Equal(t, "built-in cancel rule", doc.Suites[0].Name)
	require.Equal(t, 0, doc.Suites[0].Failures)
	require.Nil(t, doc.Suites[0].Cases[0].Failure)
	fail := doc.Suites[1].Cases[1]
	require.Equal(t, "expects the wrong answer", fail.Name)
	require.NotNil(t, fail.Failure)
	require.Equal(t, "expected allowed, got not allowed outside_window until 2026-01-01T12:10:00Z", fail.Failure.Message)
	require.Equal(t, 1, doc.Suites[2].Errors)
	require.NotNil(t, doc.Suites[2].Cases[0].Error)
	require.Contains(t, doc.Suites[2].Cases[0].Error.Message, "cannot read the test file")
}
