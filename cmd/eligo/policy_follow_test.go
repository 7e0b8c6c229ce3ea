package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/testenv"
)

// earlyCancelPolicy is the built-in cancel rule with the window opening at
// from (a bound) instead of promised_at.
func earlyCancelPolicy(from string) string {
	return strings.Replace(eligo.DefaultPolicyJSON, `{"name": "sla_breached", "from": "promised_at"}`,
		fmt.Sprintf(`{"name": "early", "from": %q}`, from), 1)
}

// nextPolicy waits for a document decided under policy version v on docs
// and returns it, with when it was read.
func nextPolicy(t *testing.T, docs <-chan timedDoc, v string) timedDoc {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case d, ok := <-docs:
			require.True(t, ok, "the stream ended before policy %s", v)
			if d.doc.PolicyVersion == v {
				return d
			}
		case <-deadline:
			t.Fatalf("no document of policy %s within 30s", v)
		}
	}
}

// eligibilityPolicy returns the policy_version of r's answer for order id.
func (r *replica) eligibilityPolicy(t *testing.T, id string) string {
	t.Helper()
	var d eligibilityDoc
	require.Equal(t, http.StatusOK, call(t, "GET", r.url+"/v1/orders/"+id+"/eligibility", replicaServiceToken, nil, &d))
	return d.PolicyVersion
}

// The embedded default reloads its --policy file on SIGHUP: a file that
// does not parse is logged with its path and changes nothing; one that
// does is stored as a new version (whodunnit system:sighup), answered at
// once and pushed to the live streams.
func TestServeReloadsPolicyOnSIGHUP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(path, []byte(eligo.DefaultPolicyJSON), 0o600))
	r := startEligo(t, "embedded", map[string]string{
		"ELIGO_SERVICE_TOKENS":        replicaServiceToken,
		"ELIGO_CUSTOMER_TOKEN_SECRET": "0123456789abcdef0123456789abcdef",
		"ELIGO_LOG_LEVEL":             "info",
	}, "serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--policy", path)
	require.Contains(t, r.log.String(), `"msg":"policy in force","source":"file `+path+`"`)
	require.Equal(t, http.StatusCreated, call(t, "POST", r.url+"/v1/orders", replicaServiceToken,
		map[string]any{"id": "o-1", "customer_id": "c-1", "promised_at": time.Now().Add(time.Hour)}, nil))
	docs := r.watch(t, "o-1")
	v0 := eligo.DefaultPolicy().VersionString()
	first := nextPolicy(t, docs, v0)
	require.False(t, first.doc.Actions["cancel"].Allowed)

	require.NoError(t, os.WriteFile(path, []byte(`{"actions":{"cancel":{"windows":[{"name":"w","from":"delivered_at"}]}}}`), 0o600))
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return strings.Contains(r.log.String(), `"msg":"SIGHUP: the policy file was not applied`) }, 10*time.Second, 10*time.Millisecond)
	require.Contains(t, r.log.String(), `"path":"`+path+`"`)
	require.Contains(t, r.log.String(), `unknown timestamp \"delivered_at\"`)
	require.Equal(t, v0, r.eligibilityPolicy(t, "o-1"), "nothing changed")

	widened, err := eligo.ParsePolicy([]byte(earlyCancelPolicy("placed_at")))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(earlyCancelPolicy("placed_at")), 0o600))
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGHUP))
	v1 := widened.WithSeq(1).VersionString()
	d := nextPolicy(t, docs, v1)
	require.True(t, d.doc.Actions["cancel"].Allowed, "the window opens at placed_at now")
	require.Equal(t, "early", d.doc.Actions["cancel"].Reason)
	require.Equal(t, v1, r.eligibilityPolicy(t, "o-1"))
	require.Contains(t, r.log.String(), `"msg":"SIGHUP: policy file applied"`)
}

// TestReplicasFollowAppliedPolicy applies policies on one replica
// (PUT /v1/policy) and measures when another serves each one: a replica on
// the same Redis hears the fan-out's notice, one on another Redis prefix
// (no notices between them) only polls the store (--policy-poll, 2s). Both
// must switch within their bound, and the live streams of both get the new
// document. The times are logged, from PUT returning to the document
// read on the other replica.
func TestReplicasFollowAppliedPolicy(t *testing.T) {
	t.Parallel()
	pgURL := testenv.PostgresSchemaURL(t)
	env := func(prefix string) map[string]string {
		return map[string]string{
			"ELIGO_POSTGRES_URL":          pgURL,
			"ELIGO_REDIS_ADDR":            testenv.RedisAddr(t),
			"ELIGO_REDIS_PREFIX":          prefix,
			"ELIGO_SERVICE_TOKENS":        replicaServiceToken,
			"ELIGO_CUSTOMER_TOKEN_SECRET": "0123456789abcdef0123456789abcdef",
			"ELIGO_LOG_LEVEL":             "warn",
		}
	}
	prefix := func() string {
		var b [6]byte
		_, _ = rand.Read(b[:])
		return "eligo-test-" + hex.EncodeToString(b[:])
	}
	shared := prefix()
	a, b := startReplica(t, "a", env(shared)), startReplica(t, "b", env(shared))
	c := startReplica(t, "c", env(prefix())) // the store only
	promised := time.Now().Add(time.Hour)
	for _, r := range []*replica{b, c} {
		require.Equal(t, http.StatusCreated, call(t, "POST", r.url+"/v1/orders", replicaServiceToken,
			map[string]any{"id": "pol-" + r.name, "customer_id": "c", "promised_at": promised}, nil))
	}
	docsB, docsC := b.watch(t, "pol-b"), c.watch(t, "pol-c")

	const runs = 5
	var viaFanout, viaPoll []time.Duration
	for i := 1; i <= runs; i++ {
		// At a random phase of c's poll: right after c switched, its next
		// read is a whole interval away.
		time.Sleep(mrand.N(2 * time.Second))
		body := json.RawMessage(earlyCancelPolicy(fmt.Sprintf("promised_at-%dm", i)))
		var applied struct {
			PolicyVersion string `json:"policy_version"`
		}
		require.Equal(t, http.StatusCreated, call(t, "PUT", a.url+"/v1/policy", replicaServiceToken, body, &applied))
		returned := time.Now()
		require.Equal(t, fmt.Sprintf("%d-", i), applied.PolicyVersion[:2])
		viaFanout = append(viaFanout, nextPolicy(t, docsB, applied.PolicyVersion).at.Sub(returned))
		viaPoll = append(viaPoll, nextPolicy(t, docsC, applied.PolicyVersion).at.Sub(returned))
		for _, r := range []*replica{b, c} {
			require.Equal(t, applied.PolicyVersion, r.eligibilityPolicy(t, "pol-"+r.name), r.name)
		}
		t.Logf("policy %s: served by b (fan-out) after %v, by c (poll alone) after %v", applied.PolicyVersion,
			viaFanout[i-1].Round(10*time.Microsecond), viaPoll[i-1].Round(10*time.Microsecond))
	}
	median := func(ds []time.Duration) time.Duration { ds = slices.Clone(ds); slices.Sort(ds); return ds[len(ds)/2] }
	t.Logf("PUT /v1/policy returned -> the other replica's live document, median of %d: via the fan-out %v (max %v), via the poll alone %v (max %v)",
		runs, median(viaFanout).Round(10*time.Microsecond), slices.Max(viaFanout).Round(10*time.Microsecond),
		median(viaPoll).Round(10*time.Microsecond), slices.Max(viaPoll).Round(10*time.Microsecond))
	// The bounds, with room for a loaded machine: the poll's interval
	// plus a second, and a second for the notice.
	require.Less(t, slices.Max(viaPoll), 3*time.Second, "within --policy-poll")
	require.Less(t, median(viaFanout), time.Second, "at once through the fan-out")
}
