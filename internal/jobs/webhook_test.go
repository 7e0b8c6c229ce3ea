package jobs_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
)

const testSecret = "0123456789abcdef-test-secret"

// receiver is a webhook receiver written as docs/webhooks.md says: it
// verifies the signature, and deduplicates by Eligo-Version-Id, so a
// version delivered again (a retry after an answer that was lost) has its
// effect once.
type receiver struct {
	mu         sync.Mutex
	deliveries map[int64]int // requests per version id
	effects    map[int64]int // effects applied per version id
	// fail decides the answer for the nth delivery of a version: "" for
	// success, "before" to fail before the effect, "after" to fail after
	// it (as if the answer were lost).
	fail func(n int) string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	err = jobs.Verify(testSecret, r.Header.Get(jobs.HeaderTimestamp), r.Header.Get(jobs.HeaderSignature), body, time.Now(), 5*time.Minute)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id, err := strconv.ParseInt(r.Header.Get(jobs.HeaderVersionID), 10, 64)
	if err != nil {
		http.Error(w, "version id", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.deliveries[id]++
	mode := rc.fail(rc.deliveries[id])
	if mode == "before" {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if rc.effects[id] == 0 { // deduplicate by version id
		rc.effects[id]++ // the effect: an email, a ticket, an index update
	}
	if mode == "after" {
		http.Error(w, "answer lost", http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func TestWebhook(t *testing.T) {
	t.Parallel()

	// A receiver that fails twice (once before its effect, once after it)
	// and then succeeds gets each version three times, and each version
	// has its effect once.
	t.Run("FailsTwiceThenSucceeds", func(t *testing.T) {
		forEachFamily(t, func(t *testing.T, fam family) {
			rc := &receiver{deliveries: map[int64]int{}, effects: map[int64]int{}, fail: func(n int) string {
				return map[int]string{1: "before", 2: "after"}[n]
			}}
			srv := httptest.NewServer(rc)
			t.Cleanup(srv.Close)
			sub := jobs.Subscriber{URL: srv.URL + "/hook", Secret: testSecret, Events: []string{"create", "update"}}
			b := setup(t, fam, setupOpts{enqueue: jobs.EnqueueConfig{Webhooks: []jobs.Subscriber{sub}, WebhookMaxAttempts: 5}})
			b.work(t, jobs.WorkersConfig{Subscribers: []jobs.Subscriber{sub}})
			b.createOrder(t, "order-1", 0)
			_, err := b.engine.ApplyEvents(t.Context(), []eligo.Event{{EventID: "ev-1", OrderID: "order-1", Type: eligo.EventDriverStatus, Status: "ASSIGNED"}})
			require.NoError(t, err)

			rows := b.waitJobs(t, "webhook", 2, 20*time.Second)
			for _, r := range rows {
				require.Equal(t, rivertype.JobStateCompleted, r.State)
				require.Equal(t, 3, r.Attempt)
			}
			vs := b.versions(t, "order-1")
			rc.mu.Lock()
			defer rc.mu.Unlock()
			require.Len(t, rc.effects, 2)
			for _, v := range vs {
				require.Equal(t, 3, rc.deliveries[v.ID], "version %d delivered three times", v.ID)
				require.Equal(t, 1, rc.effects[v.ID], "version %d has its effect once", v.ID)
			}
		})
	})

	// A receiver that never succeeds: the job is given up after its
	// attempts and stays visible as discarded.
	t.Run("GivenUpIsDiscarded", func(t *testing.T) {
		forEachFamily(t, func(t *testing.T, fam family) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "gone", http.StatusGone)
			}))
			t.Cleanup(srv.Close)
			sub := jobs.Subscriber{URL: srv.URL, Secret: testSecret, Events: []string{"create"}}
			b := setup(t, fam, setupOpts{enqueue: jobs.EnqueueConfig{Webhooks: []jobs.Subscriber{sub}, WebhookMaxAttempts: 2}})
			b.work(t, jobs.WorkersConfig{Subscribers: []jobs.Subscriber{sub}})
			b.createOrder(t, "order-1", 0)
			_, err := b.engine.ApplyEvents(t.Context(), []eligo.Event{{EventID: "ev-1", OrderID: "order-1", Type: eligo.EventDriverStatus, Status: "ASSIGNED"}})
			require.NoError(t, err)
			rows := b.waitJobs(t, "webhook", 1, 20*time.Second)
			require.Len(t, rows, 1, "the subscriber wants creates only")
			require.Equal(t, rivertype.JobStateDiscarded, rows[0].State)
			require.Equal(t, 2, rows[0].Attempt)
			requireMetric(t, b, "eligo_job_attempts_total", []string{"kind", "webhook", "result", "discarded"}, 1)
		})
	})
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"version_id":7,"order_id":"o-1","event":"create","version":1}`)
	sig := jobs.Sign(testSecret, now.Unix(), body)
	ts := strconv.FormatInt(now.Unix(), 10)
	require.NoError(t, jobs.Verify(testSecret, ts, sig, body, now, time.Minute))
	for _, tt := range []struct {
		name           string
		secret, ts     string
		sig            string
		body           []byte
		now            time.Time
		wantErrContain string
	}{
		{"tampered body", testSecret, ts, sig, []byte(`{"version_id":8}`), now, "does not match"},
		{"wrong secret", "another-secret-0123", ts, sig, body, now, "does not match"},
		// A captured request replayed later is refused.
		{"old timestamp", testSecret, ts, sig, body, now.Add(10 * time.Minute), "away from now"},
		{"timestamp not a number", testSecret, "yesterday", sig, body, now, "Unix seconds"},
		// The timestamp is signed: moving it breaks the signature.
		{"moved timestamp", testSecret, strconv.FormatInt(now.Unix()+1, 10), sig, body, now, "does not match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := jobs.Verify(tt.secret, tt.ts, tt.sig, tt.body, tt.now, time.Minute)
			require.ErrorContains(t, err, tt.wantErrContain)
		})
	}
}
