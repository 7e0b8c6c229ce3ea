package main

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// eligo policy apply against a real `eligo serve` (the embedded default):
// the file's tests run, the policy is stored as version 1, and GET
// /v1/policy and every eligibility document answer under it; applying it
// again changes nothing.
func TestPolicyApplyToServe(t *testing.T) {
	t.Parallel()
	const token = "svc-test-token-for-the-cmd-tests"
	srv := startServe(t, t.TempDir(), testEnv(nil))
	policy := "../../docs/policies/reschedule.policy.json"
	data, err := os.ReadFile(policy)
	require.NoError(t, err)
	want, err := eligo.ParsePolicy(data)
	require.NoError(t, err)
	env := map[string]string{"ELIGO_URL": srv.url, "ELIGO_SERVICE_TOKEN": token}

	out, errOut, code := runPolicyCmd(t, env, "apply", policy, "--tests", "../../docs/policies/reschedule.test.yaml")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "applied: policy_version "+want.WithSeq(1).VersionString()+", stored as a new version (created)")

	get := func(path string) map[string]any {
		req, err := http.NewRequest(http.MethodGet, srv.url+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		var doc map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
		return doc
	}
	cur := get("/v1/policy")
	require.Equal(t, want.WithSeq(1).VersionString(), cur["policy_version"])
	require.Equal(t, want.Version().Hash, cur["hash"])
	require.Equal(t, "service", cur["whodunnit"])

	out, errOut, code = runPolicyCmd(t, env, "apply", policy)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "unchanged: policy_version "+want.WithSeq(1).VersionString())
	require.Equal(t, want.WithSeq(1).VersionString(), get("/v1/policy")["policy_version"], "the same policy again is no new version")
	versions := get("/v1/policy/versions")["versions"].([]any)
	require.Len(t, versions, 1)
}
