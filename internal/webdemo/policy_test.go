package webdemo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/webdemo"
)

// fakeEngine is the webdemo.Decider and webdemo.PolicyApplier the engine
// is: applying a policy with other rules makes it the next version, and
// the same rules again change nothing, as eligo.PolicyStore says.
type fakeEngine struct {
	mu      sync.Mutex
	policy  *eligo.Policy
	now     time.Time
	applied []string // the whodunnit of each stored version
}

func (f *fakeEngine) Policy() *eligo.Policy {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.policy
}

func (f *fakeEngine) Now() time.Time { return f.now }

func (f *fakeEngine) ApplyPolicy(_ context.Context, p *eligo.Policy, who string) (eligo.StoredPolicy, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.policy.Version()
	if p.Version().Hash == cur.Hash {
		return eligo.StoredPolicy{Seq: cur.Seq, Hash: cur.Hash, Body: f.policy.Canonical()}, false, nil
	}
	f.policy = p.WithSeq(cur.Seq + 1)
	f.applied = append(f.applied, who)
	return eligo.StoredPolicy{Seq: cur.Seq + 1, Hash: p.Version().Hash, Body: p.Canonical(), Whodunnit: who}, true, nil
}

func post(t *testing.T, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

type policyAnswer struct {
	PolicyVersion string `json:"policy_version"`
	Created       *bool  `json:"created"`
	Changes       []struct {
		Name    string `json:"name"`
		Title   string `json:"title"`
		InForce bool   `json:"in_force"`
	} `json:"changes"`
}

func decodePolicy(t *testing.T, body string) policyAnswer {
	t.Helper()
	var a policyAnswer
	require.NoError(t, json.Unmarshal([]byte(body), &a), body)
	return a
}

// cancelAnswers returns the list's cancel answer and segment for each
// order, as "allowed reason until segment".
func cancelAnswers(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, body := get(t, url+"/demo/api/orders")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var list struct {
		Orders []struct {
			ID         string            `json:"id"`
			Attributes map[string]string `json:"attributes"`
			Segment    string            `json:"segment"`
			Actions    map[string]struct {
				Allowed bool       `json:"allowed"`
				Reason  string     `json:"reason"`
				Until   *time.Time `json:"until"`
			} `json:"actions"`
		} `json:"orders"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	got := map[string]string{}
	for _, o := range list.Orders {
		c := o.Actions["cancel"]
		until := "null"
		if c.Until != nil {
			until = c.Until.UTC().Format(time.RFC3339)
		}
		seg := o.Segment
		if seg == "" {
			seg = "default"
		}
		got[o.ID] = fmt.Sprintf("%t %s %s %s", c.Allowed, c.Reason, until, seg)
		if o.ID == "ams-late" {
			require.Equal(t, map[string]string{"city": "AMS"}, o.Attributes)
		}
	}
	return got
}

// TestDemoPolicyChangeSwitchesTheSegmentsAnswers presses the page's
// button: the Amsterdam window is widened, the Amsterdam order's answer
// flips to allowed and no other order's changes; narrowing it again is a
// new version with the first one's rules.
func TestDemoPolicyChangeSwitchesTheSegmentsAnswers(t *testing.T) {
	t.Parallel()
	changes, err := webdemo.AmsterdamChanges()
	require.NoError(t, err)
	grace, err := eligo.ParsePolicy(webdemo.AmsterdamGracePolicyJSON)
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	eng := &fakeEngine{policy: grace, now: now}

	ams := order("ams-late", "cust-a", -time.Minute, eligo.StatusPlaced, now)
	ams.PaymentStatus = eligo.PaymentPaid
	ams.Attributes, err = eligo.MakeAttributes(map[string]string{webdemo.AmsterdamAttribute: webdemo.AmsterdamValue})
	require.NoError(t, err)
	ber := order("ber-late", "cust-b", -time.Minute, eligo.StatusPlaced, now)
	ber.PaymentStatus = eligo.PaymentPaid
	demo, err := webdemo.New(webdemo.Config{Orders: fakeOrders{ams, ber}, Decider: eng, Policies: eng, PolicyChanges: changes,
		CustomerSecret: testSecret, Now: func() time.Time { return now }})
	require.NoError(t, err)
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)

	graceEnds := ams.PromisedAt.Add(10 * time.Minute).Format(time.RFC3339)
	require.Equal(t, map[string]string{
		"ams-late": "false outside_window " + graceEnds + " amsterdam",
		"ber-late": "true sla_breached null default",
	}, cancelAnswers(t, srv.URL), "before: Amsterdam waits ten minutes past the promise")

	resp, body := get(t, srv.URL+"/demo/api/policy")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	state := decodePolicy(t, body)
	require.Equal(t, grace.VersionString(), state.PolicyVersion)
	require.Len(t, state.Changes, 2)
	require.Equal(t, "widen-amsterdam", state.Changes[0].Name)
	require.False(t, state.Changes[0].InForce)
	require.True(t, state.Changes[1].InForce, "the grace policy is in force")

	// Widen: a new version, and the Amsterdam order may cancel now.
	resp, body = post(t, srv.URL+"/demo/api/policy/widen-amsterdam", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	state = decodePolicy(t, body)
	require.True(t, *state.Created)
	require.Equal(t, "1-"+changes[0].Policy.Version().Hash[:12], state.PolicyVersion)
	require.True(t, state.Changes[0].InForce)
	require.Equal(t, []string{webdemo.WhoDemoPage}, eng.applied)
	require.Equal(t, map[string]string{
		"ams-late": "true sla_breached null amsterdam",
		"ber-late": "true sla_breached null default",
	}, cancelAnswers(t, srv.URL), "after: Amsterdam's cancel opens at the promise")

	// The same again stores nothing.
	resp, body = post(t, srv.URL+"/demo/api/policy/widen-amsterdam", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.False(t, *decodePolicy(t, body).Created)

	// Narrow it again: the first rules, as a new version.
	resp, body = post(t, srv.URL+"/demo/api/policy/narrow-amsterdam", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "2-"+grace.Version().Hash[:12], decodePolicy(t, body).PolicyVersion)
	require.Equal(t, "false outside_window "+graceEnds+" amsterdam", cancelAnswers(t, srv.URL)["ams-late"])

	// An unknown change, and a browser's request from another site.
	resp, body = post(t, srv.URL+"/demo/api/policy/everything-allowed", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, body)
	require.Contains(t, body, `the demo offers no policy change \"everything-allowed\"`)
	resp, body = post(t, srv.URL+"/demo/api/policy/widen-amsterdam", http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, body)
	require.Equal(t, "2-"+grace.Version().Hash[:12], eng.Policy().VersionString(), "refused requests change nothing")
	require.Len(t, eng.applied, 2)
}

// A page without an applier offers no change and applies none.
func TestDemoPolicyWithoutChanges(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOrders{})
	resp, body := get(t, b.srv.URL+"/demo/api/policy")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	state := decodePolicy(t, body)
	require.Empty(t, state.Changes)
	require.Equal(t, eligo.DefaultPolicy().VersionString(), state.PolicyVersion)
	resp, body = post(t, b.srv.URL+"/demo/api/policy/widen-amsterdam", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, body)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json"))
}
