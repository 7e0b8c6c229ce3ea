package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func (b *testBundle) putPolicy(t testing.TB, tok, body string) *response {
	t.Helper()
	return b.do(t, req{method: http.MethodPut, path: "/v1/policy", body: body, token: tok})
}

// Nothing stored: GET /v1/policy answers the policy the server started
// with, as version 0, without a record.
func TestGetPolicyBuiltIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp := b.get(t, "/v1/policy")
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	doc := resp.json(t)
	builtin := eligo.DefaultPolicy()
	require.Equal(t, builtin.VersionString(), doc["policy_version"])
	require.True(t, strings.HasPrefix(doc["policy_version"].(string), "0-"))
	require.Equal(t, float64(0), doc["seq"])
	require.Equal(t, builtin.Version().Hash, doc["hash"])
	for _, k := range []string{"whodunnit", "host", "build", "created_at"} {
		require.Contains(t, doc, k)
		require.Nil(t, doc[k], k)
	}
	require.JSONEq(t, string(builtin.Canonical()), string(jsonOf(t, doc["policy"])))

	// The policy can be put back as GET answers it.
	again, err := eligo.ParsePolicy(jsonOf(t, doc["policy"]))
	require.NoError(t, err)
	require.Equal(t, builtin.Version(), again.Version())

	requireProblem(t, b.do(t, req{method: http.MethodGet, path: "/v1/policy", token: b.customerToken(t, "cust-9")}), http.StatusForbidden)
	requireProblem(t, b.do(t, req{method: http.MethodGet, path: "/v1/policy"}), http.StatusUnauthorized)

	list := b.get(t, "/v1/policy/versions")
	require.Equal(t, http.StatusOK, list.StatusCode, "body: %s", list.body)
	require.JSONEq(t, `{"versions":[],"next":null}`, string(list.body))
}

// A bad policy is 400 naming the offending place, and nothing changes:
// the store is not written and the server keeps deciding under the
// policy it had.
func TestPutPolicyRefusesABadOne(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := b.engine.Policy()
	for body, detail := range map[string]string{
		`{"actions":{"cancel":{"windows":[{"name":"w","from":"promised_at+1x"}]}}}`: "actions.cancel",
		`{"actions":{}}`: "no actions",
		`{"actions":{"cancel":{}},"colour":"red"}`: "colour",
		`not json`: "not valid JSON",
		`{"actions":{"refund":{"windows":[{"name":"w","from":"deadline.Bad"}]}}}`: "actions.refund",
	} {
		p := requireProblem(t, b.putPolicy(t, serviceToken, body), http.StatusBadRequest)
		require.Contains(t, p["detail"], detail, body)
	}
	requireProblem(t, b.putPolicy(t, b.customerToken(t, "cust-9"), eligo.DefaultPolicyJSON), http.StatusForbidden)
	requireProblem(t, b.putPolicy(t, serviceToken, `{"actions":{"cancel":{"windows":[]}},"pad":"`+strings.Repeat("x", 2<<20)+`"}`), http.StatusRequestEntityTooLarge)
	require.Same(t, before, b.engine.Policy())
	require.Zero(t, b.store.updates.Load())
	require.JSONEq(t, `{"versions":[],"next":null}`, string(b.get(t, "/v1/policy/versions").body))
}

func TestPolicyVersionsQuery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, q := range []string{"before=0", "before=-1", "before=x", "limit=0", "limit=101", "limit=1&limit=2", "before=%zz"} {
		requireProblem(t, b.get(t, "/v1/policy/versions?"+q), http.StatusBadRequest)
	}
	require.Equal(t, http.StatusOK, b.get(t, "/v1/policy/versions?before=5&limit=100").StatusCode)
}

// widerCancel opens cancel five minutes before the promise.
const widerCancel = `{"actions":{"cancel":{"ends_order":true,"windows":[{"name":"early","from":"promised_at-5m"}],"blocks":[{"name":"cancelled","status":["CANCELLED"]}]}}}`

// TestPutPolicy applies a policy through the API: stored as version 1
// with its record, in force at once (the eligibility documents carry it
// and decide by it), the same policy again is 200 and stores nothing, and
// the history lists every version, newest first, a page at a time. It
// needs the store's policies table (stores17).
func TestPutPolicy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(3*time.Minute))
	require.Equal(t, false, b.get(t, "/v1/orders/ord-1/eligibility").json(t)["actions"].(map[string]any)["cancel"].(map[string]any)["allowed"])

	resp := b.putPolicy(t, serviceToken, widerCancel)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "body: %s", resp.body)
	doc := resp.json(t)
	require.Equal(t, float64(1), doc["seq"])
	require.Equal(t, "service", doc["whodunnit"])
	require.Equal(t, "test-host", doc["host"])
	require.Equal(t, "test-build", doc["build"])
	require.NotNil(t, doc["created_at"])
	pv := doc["policy_version"].(string)
	require.True(t, strings.HasPrefix(pv, "1-"), pv)

	require.Equal(t, pv, b.engine.Policy().VersionString(), "in force at once")
	el := b.get(t, "/v1/orders/ord-1/eligibility").json(t)
	require.Equal(t, pv, el["policy_version"])
	require.Equal(t, true, el["actions"].(map[string]any)["cancel"].(map[string]any)["allowed"], "decided by the new policy")
	require.Equal(t, resp.json(t), b.get(t, "/v1/policy").json(t))

	same := b.putPolicy(t, serviceToken, widerCancel)
	require.Equal(t, http.StatusOK, same.StatusCode, "body: %s", same.body)
	require.Equal(t, float64(1), same.json(t)["seq"])

	require.Equal(t, http.StatusCreated, b.putPolicy(t, serviceToken, eligo.DefaultPolicyJSON).StatusCode)
	page := b.get(t, "/v1/policy/versions?limit=1").json(t)
	require.Len(t, page["versions"], 1)
	require.Equal(t, float64(2), page["versions"].([]any)[0].(map[string]any)["seq"])
	require.Equal(t, "/v1/policy/versions?before=2&limit=1", page["next"])
	last := b.get(t, page["next"].(string)).json(t)
	require.Equal(t, float64(1), last["versions"].([]any)[0].(map[string]any)["seq"])
	require.Nil(t, last["next"])
}

// jsonOf encodes v, a member of a decoded answer, back to JSON.
func jsonOf(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// The eligibility read decides under the policy in force at each request,
// not the one the server started with: after a switch (SetPolicy, as
// ApplyPolicy and the fan-out do) the next read carries the new version
// and its answer. Before, the handler kept the policy it was built with.
func TestEligibilityFollowsThePolicyInForce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(3*time.Minute))
	cancel := func(doc map[string]any) any {
		return doc["actions"].(map[string]any)["cancel"].(map[string]any)["allowed"]
	}
	before := b.get(t, "/v1/orders/ord-1/eligibility")
	require.Equal(t, false, cancel(before.json(t)))

	wider := mustPolicy(t, widerCancel).WithSeq(1)
	require.True(t, b.engine.SetPolicy(t.Context(), wider))
	after := b.get(t, "/v1/orders/ord-1/eligibility")
	doc := after.json(t)
	require.Equal(t, wider.VersionString(), doc["policy_version"])
	require.Equal(t, true, cancel(doc))
	require.NotEqual(t, before.Header.Get("ETag"), after.Header.Get("ETag"))
}
