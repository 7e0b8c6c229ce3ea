package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/policytest"
)

// policyApplyAbout is the help of `eligo policy apply`.
const policyApplyAbout = `eligo policy apply FILE [--tests TESTFILE...] [--url URL] [--token TOKEN]

Make a policy file the running server's current policy (PUT /v1/policy,
with the service token). It is validated here first, then every test file
given with --tests is run against it (whatever policy the file names):
on a failing case or a bad test file nothing is sent. Prints the new
policy_version and whether it was stored as a new version (or was the
current one already). A refusal by the server is printed as its detail,
with exit status 1.`

// policyApplyConfig is the configuration of `eligo policy apply`.
type policyApplyConfig struct {
	Tests               []string
	URL, Token, DataDir string
	Timeout             time.Duration
}

// flags declares the flags of `eligo policy apply` into c; the server and
// its token are found as `eligo order` finds them.
func (c *policyApplyConfig) flags(f *flagSet) {
	f.String(&c.URL, "url", "http://127.0.0.1:8080", "the server")
	f.String(&c.Token, "token", "", "service token; empty means the first of ELIGO_SERVICE_TOKENS, else the one in --data-dir")
	f.envName("token", "ELIGO_SERVICE_TOKEN")
	f.String(&c.DataDir, "data-dir", "", "the server's data directory, whose secrets.json has the service token when none is given")
	p := f.scoped("ELIGO_POLICY_")
	p.List(&c.Tests, "tests", "test files to run against the policy before it is applied: --tests a.yaml b.yaml, or comma-separated")
	p.Duration(&c.Timeout, "timeout", 10*time.Second, time.Millisecond, "limit of the request")
}

func runPolicyApply(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var c policyApplyConfig
	f := newFlagSet("policy apply")
	c.flags(f)
	files, flags := splitArgs(f, args, "tests")
	if err := f.parse(flags, getenv, stdout, policyApplyAbout); err != nil {
		return err
	}
	if len(files) != 1 {
		return &usageError{"policy apply", errors.New("policy apply: expected one policy file: eligo policy apply FILE [--tests TESTFILE...]")}
	}
	p, err := readPolicyFile(files[0])
	if err != nil {
		return fmt.Errorf("policy apply: %w; nothing was applied", err)
	}
	if len(c.Tests) > 0 {
		results := make([]policytest.Result, 0, len(c.Tests))
		for _, path := range c.Tests {
			results = append(results, policytest.RunFile(path, p))
		}
		if err := printResults(stdout, results); err != nil {
			return err
		}
		if err := resultsError(results); err != nil {
			return fmt.Errorf("policy apply: %w against %s; nothing was applied", err, files[0])
		}
	}
	token, err := orderConfig{Token: c.Token, DataDir: c.DataDir}.token(getenv)
	if err != nil {
		return fmt.Errorf("policy apply: %w", err)
	}
	applied, created, err := putPolicy(ctx, c, token, p.Canonical())
	if err != nil {
		return fmt.Errorf("policy apply: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "applied: policy_version %s, stored as a new version (created)\n", applied.PolicyVersion)
	} else {
		fmt.Fprintf(stdout, "unchanged: policy_version %s is the current policy already (not created)\n", applied.PolicyVersion)
	}
	if applied.Hash != p.Version().Hash {
		fmt.Fprintf(stdout, "warning: the server's hash %s is not this file's %s\n", applied.Hash, p.Version().Hash)
	}
	return nil
}

// appliedPolicy is what PUT /v1/policy answers, of what is printed.
type appliedPolicy struct {
	PolicyVersion string `json:"policy_version"`
	Seq           int64  `json:"seq"`
	Hash          string `json:"hash"`
}

// putPolicy sends the policy and returns the server's answer: 201 when
// it stored a new version, 200 when the policy was the current one.
// Anything else is an error with the problem's detail.
func putPolicy(ctx context.Context, c policyApplyConfig, token string, body []byte) (appliedPolicy, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, strings.TrimRight(c.URL, "/")+"/v1/policy", bytes.NewReader(body))
	if err != nil {
		return appliedPolicy{}, false, fmt.Errorf("--url %q: %v", c.URL, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return appliedPolicy{}, false, fmt.Errorf("cannot reach the server at %s: %v", c.URL, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return appliedPolicy{}, false, fmt.Errorf("reading the answer from %s: %v", c.URL, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		var prob struct {
			Detail string `json:"detail"`
		}
		// A refusal (4xx) changes nothing; after a 5xx, GET /v1/policy
		// tells which policy is current.
		outcome := ""
		if resp.StatusCode < 500 {
			outcome = "; nothing was applied"
		}
		if json.Unmarshal(answer, &prob) == nil && prob.Detail != "" {
			return appliedPolicy{}, false, fmt.Errorf("the server refused the policy: %s (%d)%s", prob.Detail, resp.StatusCode, outcome)
		}
		return appliedPolicy{}, false, fmt.Errorf("the server answered %s%s", resp.Status, outcome)
	}
	var a appliedPolicy
	if err := json.Unmarshal(answer, &a); err != nil || a.PolicyVersion == "" {
		return appliedPolicy{}, false, fmt.Errorf("the server answered %s, but not with a policy version as this eligo expects", resp.Status)
	}
	if _, err := eligo.ParsePolicyVersion(a.PolicyVersion); err != nil {
		return appliedPolicy{}, false, fmt.Errorf("the server answered %s with %s", resp.Status, eligo.ErrorMessage(err))
	}
	return a, resp.StatusCode == http.StatusCreated, nil
}
