package main

import (
	"context"
	"encoding/xml"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/policytest"
)

// runPolicyCmd runs `eligo policy ARGS` and returns its output and exit
// status, as main would.
func runPolicyCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), append([]string{"eligo", "policy"}, args...), func(k string) string { return env[k] }, &out, &errOut)
	code = exitStatus(err, &errOut)
	return out.String(), errOut.String(), code
}

// shippedTestFiles are the policy test files under docs/, and
// shippedPolicies the policy files there.
func shippedTestFiles(t *testing.T) (tests, policies []string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir("../../docs", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case strings.HasSuffix(path, ".test.yaml"), strings.HasSuffix(path, ".test.yml"), strings.HasSuffix(path, ".test.json"):
			tests = append(tests, path)
		case strings.HasSuffix(path, ".policy.json"):
			policies = append(policies, path)
		}
		return nil
	}))
	require.NotEmpty(t, tests)
	return tests, policies
}

// junitDoc is what the tests read of a JUnit file.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc junitDoc
	require.NoError(t, xml.Unmarshal(data, &doc), string(data))
	return doc
}

// Every test file under docs/ passes through the real command (CI runs
// them so too, in .ci/run), the built-in policy's covers every reason of
// its cancel rule, and every policy file under docs/ has a test file.
func TestPolicyTestShippedFiles(t *testing.T) {
	t.Parallel()
	tests, policies := shippedTestFiles(t)
	junit := filepath.Join(t.TempDir(), "junit.xml")
	out, errOut, code := runPolicyCmd(t, nil, append(append([]string{"test"}, tests...), "--junit", junit)...)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	require.NotContains(t, out, "FAIL")
	require.Regexp(t, `(?m)^\d+ files, \d+ cases: \d+ passed, 0 failed; 0 files could not be read$`, out)
	doc := readJUnit(t, junit)
	require.Len(t, doc.Suites, len(tests))
	require.Zero(t, doc.Failures)
	require.Zero(t, doc.Errors)
	require.Equal(t, strings.Count(out, " PASS\n"), doc.Tests)

	// The built-in policy's test file covers every reason of cancel.
	r := policytest.RunFile("../../docs/policies/builtin.test.yaml", nil)
	require.NoError(t, r.Err)
	reasons := map[string]bool{}
	for _, c := range r.Cases {
		if c.Action == eligo.ActionCancel && c.Expect.CheckReason && c.Expect.CheckUntil {
			reasons[c.Expect.Reason] = true
		}
	}
	for _, want := range []string{"outside_window", "sla_breached", "driver_at_doorstep", "delivered", "cancelled", "expired", "payment_expired"} {
		require.True(t, reasons[want], "docs/policies/builtin.test.yaml has no case expecting %s with until", want)
	}

	// Every policy under docs/ is tested by one of the files.
	tested := map[string]bool{}
	for _, path := range tests {
		f, err := policytest.Load(path)
		require.NoError(t, err)
		tested[filepath.Clean(f.PolicyPath())] = true
	}
	for _, p := range policies {
		require.True(t, tested[filepath.Clean(p)], "%s has no test file under docs/ (a *.test.yaml naming it as its policy)", p)
	}
}

// A failing case: exit status 1, a FAIL row with the decision that came
// instead, and a JUnit file that says so.
func TestPolicyTestFailingFile(t *testing.T) {
	t.Parallel()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	out, errOut, code := runPolicyCmd(t, nil, "test", "--junit", junit, "testdata/policy/failing.test.yaml", "../../docs/policies/builtin.test.yaml")
	require.Equal(t, 1, code, out)
	require.Regexp(t, `(?m)^FILE +CASE +ACTION +EXPECTED +GOT +RESULT$`, out)
	require.Regexp(t, `(?m)^testdata/policy/failing\.test\.yaml +change of mind +cancel +allowed changed_mind +allowed changed_mind until 2026-01-01T12:01:00Z +PASS$`, out)
	require.Regexp(t, `(?m)^testdata/policy/failing\.test\.yaml +cancel before the promise +cancel +allowed +not allowed outside_window until 2026-01-01T12:10:00Z +FAIL$`, out)
	require.Contains(t, out, "2 files, 18 cases: 17 passed, 1 failed; 0 files could not be read\n")
	require.Equal(t, "eligo: policy test: 1 case failed\n", errOut)
	doc := readJUnit(t, junit)
	require.Equal(t, 18, doc.Tests)
	require.Equal(t, 1, doc.Failures)
	require.Equal(t, "deliberately failing", doc.Suites[0].Name)
	require.Equal(t, 1, doc.Suites[0].Failures)
	require.Nil(t, doc.Suites[0].Cases[0].Failure)
	require.NotNil(t, doc.Suites[0].Cases[1].Failure)
	require.Equal(t, "expected allowed, got not allowed outside_window until 2026-01-01T12:10:00Z", doc.Suites[0].Cases[1].Failure.Message)
	require.Zero(t, doc.Suites[1].Failures)

	// A bad file is reported as such and fails the run; the good ones
	// still run.
	bad := filepath.Join(t.TempDir(), "bad.test.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("policy: builtin\nordres: {}\n"), 0o600))
	out, errOut, code = runPolicyCmd(t, map[string]string{"ELIGO_POLICY_JUNIT": junit}, "test", bad, "../../docs/policies/builtin.test.yaml")
	require.Equal(t, 1, code)
	require.Contains(t, out, "ERROR "+bad+`:2: unknown field "ordres"; expected one of name, policy, orders, cases`)
	require.Contains(t, out, "; 1 file could not be read\n")
	require.Equal(t, "eligo: policy test: 1 test file could not be read\n", errOut)
	require.Equal(t, 1, readJUnit(t, junit).Errors, "ELIGO_POLICY_JUNIT is --junit")
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	out, errOut, code := runPolicyCmd(t, nil, "check", "../../docs/policies/reschedule.policy.json")
	require.Equal(t, 0, code, errOut)
	data, err := os.ReadFile("../../docs/policies/reschedule.policy.json")
	require.NoError(t, err)
	p, err := eligo.ParsePolicy(data)
	require.NoError(t, err)
	require.Contains(t, out, "version "+p.VersionString()+" (sha256 "+p.Version().Hash+")\n")
	require.Regexp(t, `(?m)^  cancel \(ends_order\)$`, out)
	require.Regexp(t, `(?m)^    window +changed_mind +from placed_at +to placed_at\+60s$`, out)
	require.Regexp(t, `(?m)^    window +sla_breached +from promised_at +\(open-ended\)$`, out)
	require.Regexp(t, `(?m)^    block +payment_expired +payment_status PENDING,FAILED +from payment_timeout_at$`, out)
	require.Regexp(t, `(?m)^    block +delivered +status DELIVERED or driver_status DELIVERED$`, out)
	require.Regexp(t, `(?m)^  reschedule$`, out)

	// Segments: the match, the rules of their own, and the rest named.
	policy := filepath.Join(t.TempDir(), "seg.policy.json")
	require.NoError(t, os.WriteFile(policy, []byte(`{"actions": {
	  "cancel": {"windows": [{"name": "sla_breached", "from": "promised_at"}]},
	  "refund": {"once": true, "windows": [{"name": "before_event", "from": "placed_at", "to": "deadline.event_starts_at-48h"}]}},
	 "segments": [{"name": "amsterdam", "match": {"city": ["AMS", "Amsterdam"], "kind": ["delivery"]},
	   "actions": {"cancel": {"windows": [{"name": "grace", "from": "promised_at+5m"}], "blocks": [{"name": "merchant_forbids"}]}}}]}`), 0o600))
	out, errOut, code = runPolicyCmd(t, nil, "check", policy)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "default rules (orders no segment matches):\n")
	require.Regexp(t, `(?m)^  refund \(once\)$`, out)
	require.Regexp(t, `(?m)^    block +already_taken +once taken$`, out)
	require.Contains(t, out, "\nsegment amsterdam (1 of 1; city in AMS, Amsterdam; and kind in delivery):\n")
	require.Regexp(t, `(?m)^    window +grace +from promised_at\+5m +\(open-ended\)$`, out)
	require.Regexp(t, `(?m)^    block +merchant_forbids +always$`, out)
	require.Contains(t, out, "  refund: the default rules\n")

	// An invalid policy: exit 1 and the offending place.
	require.NoError(t, os.WriteFile(policy, []byte(`{"actions": {"cancel": {"windows": [{"name": "w", "from": "promised"}]}}}`), 0o600))
	out, errOut, code = runPolicyCmd(t, nil, "check", policy)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "eligo: policy check: "+policy+`: actions.cancel.windows[0].from: unknown timestamp "promised"`)
}

func TestPolicyExplain(t *testing.T) {
	t.Parallel()
	out, errOut, code := runPolicyCmd(t, nil, "explain", "../../docs/policies/reschedule.policy.json", "--order", "testdata/policy/order.json",
		"--from", "2026-01-01T12:00:30Z", "--to", "2026-01-01T13:00:00Z")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "order ord-7 under policy 0-")
	require.Contains(t, out, "from 2026-01-01T12:00:30Z to 2026-01-01T13:00:00Z\n")
	require.Contains(t, out, "\ncancel (the default rules)\n  timeline:\n")
	require.Regexp(t, `(?m)^    2026-01-01T12:00:30Z +-> 2026-01-01T12:01:00Z +allowed +changed_mind$`, out)
	require.Regexp(t, `(?m)^    2026-01-01T12:01:00Z +-> 2026-01-01T12:10:00Z +not allowed +outside_window$`, out)
	require.Regexp(t, `(?m)^    2026-01-01T12:10:00Z +-> \(for good\) +allowed +sla_breached$`, out)
	require.Contains(t, out, "  at 2026-01-01T12:00:30Z: allowed changed_mind until 2026-01-01T12:01:00Z\n")
	require.Regexp(t, `(?m)^    window +changed_mind +open +from placed_at \(2026-01-01T12:00:00Z\) to placed_at\+60s \(2026-01-01T12:01:00Z\) +changes at 2026-01-01T12:01:00Z$`, out)
	require.Regexp(t, `(?m)^    block +payment_expired +does not apply +from payment_timeout_at \(unset\) +no change by the clock +the order lacks payment_timeout_at$`, out)
	// The order is picked up: reschedule is refused for good.
	require.Regexp(t, `(?m)^    2026-01-01T12:00:30Z +-> \(for good\) +not allowed +picked_up$`, out)
	require.Regexp(t, `(?m)^    block +picked_up +forbids +no change by the clock$`, out)

	// --from defaults to placed_at; the variables work like the flags.
	out, errOut, code = runPolicyCmd(t, map[string]string{"ELIGO_POLICY_ORDER": "testdata/policy/order.json"}, "explain", "../../docs/policies/reschedule.policy.json")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "from 2026-01-01T12:00:00Z to 2026-01-02T12:00:00Z\n")

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"explain", "../../docs/policies/reschedule.policy.json"}, 2, "--order ORDER.json is required"},
		{[]string{"explain", "../../docs/policies/reschedule.policy.json", "--order", "testdata/policy/order.json", "--from", "noon"}, 2, "expected an RFC 3339 timestamp"},
		{[]string{"explain", "../../docs/policies/reschedule.policy.json", "--order", "testdata/policy/order.json", "--from", "2026-01-01T13:00:00Z", "--to", "2026-01-01T12:00:00Z"}, 2, "--to (2026-01-01T12:00:00Z) is not after --from"},
		{[]string{"explain", "../../docs/policies/reschedule.policy.json", "--order", "testdata/policy/failing.test.yaml"}, 1, `failing.test.yaml:10: unknown field "cases"`},
	} {
		out, errOut, code := runPolicyCmd(t, nil, tt.args...)
		require.Equal(t, tt.code, code, "%v: %s", tt.args, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, tt.want)
	}
}

// policyServer is PUT /v1/policy as the contract has it (docs/policies.md,
// ISSUE 17): 201 with the new version, 200 when the policy is the current
// one, 400 problem+json naming the place of a bad one.
type policyServer struct {
	t       *testing.T
	token   string
	puts    atomic.Int32
	current string // hash
	seq     int64
	refuse  string // detail of a 400, when set
}

func (s *policyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.puts.Add(1)
	if r.Method != http.MethodPut || r.URL.Path != "/v1/policy" {
		http.Error(w, "wrong route", http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"a valid service token is required"}`)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if s.refuse != "" {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"type":"about:blank","title":"Bad Request","status":400,"detail":"`+s.refuse+`"}`)
		return
	}
	p, err := eligo.ParsePolicy(body)
	if err != nil || string(p.Canonical()) != string(body) {
		s.t.Errorf("the body is not a canonical policy: %v: %s", err, body)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	status := http.StatusOK
	if p.Version().Hash != s.current {
		s.seq++
		s.current = p.Version().Hash
		status = http.StatusCreated
	}
	v := p.WithSeq(s.seq)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"policy_version":"`+v.VersionString()+`","seq":`+strconv.FormatInt(s.seq, 10)+`,"hash":"`+v.Version().Hash+`","whodunnit":"service","policy":`+string(body)+`}`)
}

func TestPolicyApply(t *testing.T) {
	t.Parallel()
	const token = "svc-policy-apply-test-token-0123456789"
	srv := &policyServer{t: t, token: token}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	env := map[string]string{"ELIGO_URL": hs.URL, "ELIGO_SERVICE_TOKEN": token}
	policy := "../../docs/policies/reschedule.policy.json"
	data, err := os.ReadFile(policy)
	require.NoError(t, err)
	p, err := eligo.ParsePolicy(data)
	require.NoError(t, err)

	out, errOut, code := runPolicyCmd(t, env, "apply", policy, "--tests", "../../docs/policies/reschedule.test.yaml")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `(?m)^\S*reschedule\.test\.yaml +cancel in the first minute, a change of mind +cancel .* PASS$`, out, "the tests ran first")
	require.Contains(t, out, "applied: policy_version 1-"+p.Version().Hash[:12]+", stored as a new version (created)\n")
	require.Equal(t, int32(1), srv.puts.Load())

	// The same policy again: the server's 200, not created.
	out, errOut, code = runPolicyCmd(t, env, "apply", policy)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "unchanged: policy_version 1-"+p.Version().Hash[:12]+" is the current policy already (not created)\n", out)

	// A failing case in one of the test files (given as a shell glob
	// gives them, several arguments after --tests): nothing is sent.
	before := srv.puts.Load()
	out, errOut, code = runPolicyCmd(t, env, "apply", policy, "--tests", "../../docs/policies/reschedule.test.yaml", "testdata/policy/failing.test.yaml")
	require.Equal(t, 1, code)
	require.Regexp(t, `(?m)^testdata/policy/failing\.test\.yaml +cancel before the promise .* FAIL$`, out)
	require.Equal(t, "eligo: policy apply: 1 case failed against "+policy+"; nothing was applied\n", errOut)
	require.Equal(t, before, srv.puts.Load(), "no request after a failing test")

	// An invalid policy: refused here, nothing sent.
	bad := filepath.Join(t.TempDir(), "bad.policy.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"actions": {}}`), 0o600))
	_, errOut, code = runPolicyCmd(t, env, "apply", bad)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "policy names no actions")
	require.Equal(t, before, srv.puts.Load())

	// The server's refusals are their detail.
	_, errOut, code = runPolicyCmd(t, map[string]string{"ELIGO_URL": hs.URL, "ELIGO_SERVICE_TOKEN": "not-the-token"}, "apply", policy)
	require.Equal(t, 1, code)
	require.Equal(t, "eligo: policy apply: the server refused the policy: a valid service token is required (401); nothing was applied\n", errOut)
	srv.refuse = `actions.cancel.windows[0].from: unknown timestamp \"promised\"`
	_, errOut, code = runPolicyCmd(t, env, "apply", policy, "--url", hs.URL+"/")
	require.Equal(t, 1, code)
	require.Equal(t, `eligo: policy apply: the server refused the policy: actions.cancel.windows[0].from: unknown timestamp "promised" (400); nothing was applied`+"\n", errOut)
	require.NotContains(t, errOut, "{")

	// No token anywhere.
	_, errOut, code = runPolicyCmd(t, map[string]string{"ELIGO_URL": hs.URL}, "apply", policy)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "needs the service token")
}

func TestPolicyUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"lint"}, {"test"}, {"test", "--colour", "x.yaml"}, {"check"}, {"check", "a.json", "b.json"}, {"explain"}, {"apply"}, {"apply", "a.json", "b.json"}} {
		out, errOut, code := runPolicyCmd(t, nil, args...)
		require.Equal(t, 2, code, "%v: %s", args, errOut)
		require.Empty(t, out)
	}
	for sub, want := range map[string]string{"test": "ELIGO_POLICY_JUNIT", "check": "eligo policy check FILE", "explain": "ELIGO_POLICY_ORDER", "apply": "ELIGO_POLICY_TESTS"} {
		out, _, code := runPolicyCmd(t, nil, sub, "-h")
		require.Equal(t, 0, code)
		require.Contains(t, out, "Usage: eligo policy "+sub)
		require.Contains(t, out, want)
	}
	out, _, code := runPolicyCmd(t, nil, "-h")
	require.Equal(t, 0, code)
	require.Regexp(t, regexp.MustCompile(`eligo policy apply FILE`), out)
}

// splitArgs lets flags come before, between and after the files, and
// --tests take several.
func TestPolicySplitArgs(t *testing.T) {
	t.Parallel()
	f := newFlagSet("policy apply")
	new(policyApplyConfig).flags(f)
	files, flags := splitArgs(f, []string{"--url", "http://x", "p.json", "--tests", "a.yaml", "b.yaml", "--timeout=3s", "--", "-odd.json"}, "tests")
	require.Equal(t, []string{"p.json", "-odd.json"}, files)
	require.Equal(t, []string{"--url", "http://x", "--tests", "a.yaml", "--tests", "b.yaml", "--timeout=3s"}, flags)
	var c policyApplyConfig
	g := newFlagSet("policy apply")
	c.flags(g)
	require.NoError(t, g.parse(append(flags, "--tests", "c.yaml,d.yaml"), func(string) string { return "" }, io.Discard, ""))
	require.Equal(t, []string{"a.yaml", "b.yaml", "c.yaml", "d.yaml"}, c.Tests)
}
