package jobs_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
)

// provider is a fake payment provider: it fails the first failures
// requests with 503, then answers status.
type provider struct {
	failures int64
	status   atomic.Value // string
	requests atomic.Int64
}

func newProvider(t *testing.T, failures int64, status string) (*provider, *jobs.PaymentProvider) {
	p := &provider{failures: failures}
	p.status.Store(status)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := p.requests.Add(1); n <= p.failures {
			http.Error(w, "provider is down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":%q}`, p.status.Load().(string))
	}))
	t.Cleanup(srv.Close)
	return p, &jobs.PaymentProvider{BaseURL: srv.URL + "/payments"}
}

// requireExpiredBySystem checks that the order expired once, in a version
// by the system at or after its payment timeout.
func requireExpiredBySystem(t *testing.T, b *testBundle, id string) eligo.Version {
	t.Helper()
	o := b.order(t, id)
	require.Equal(t, eligo.StatusExpired, o.Status)
	vs := b.versions(t, id)
	require.Len(t, vs, 2, "create and one expiry")
	v := vs[1]
	require.Equal(t, eligo.WhoSystem, v.Whodunnit)
	require.Equal(t, [2]any{"PLACED", "EXPIRED"}, v.ObjectChanges["status"])
	require.False(t, v.CreatedAt.Before(o.PaymentTimeoutAt), "expired at %s, before the timeout %s", v.CreatedAt, o.PaymentTimeoutAt)
	return v
}

func TestPaymentRecheck(t *testing.T) {
	t.Parallel()

	// An order still unpaid at its timeout expires then, by the system,
	// with no provider configured.
	t.Run("UnpaidExpiresAtTimeout", func(t *testing.T) {
		forEachFamily(t, func(t *testing.T, fam family) {
			b := setup(t, fam, setupOpts{})
			b.work(t, jobs.WorkersConfig{})
			o := b.createOrder(t, "order-1", time.Second)
			rows := b.waitJobs(t, "payment_recheck", 1, 15*time.Second)
			require.Equal(t, rivertype.JobStateCompleted, rows[0].State)
			require.WithinDuration(t, o.PaymentTimeoutAt, rows[0].ScheduledAt, time.Millisecond, "scheduled at the timeout")
			v := requireExpiredBySystem(t, b, "order-1")
			t.Logf("expired %s after the timeout", v.CreatedAt.Sub(o.PaymentTimeoutAt))
			// The engine moved the read model forward.
			got, err := b.engine.Order(t.Context(), "order-1")
			require.NoError(t, err)
			require.Equal(t, eligo.StatusExpired, got.Status)
		})
	})

	// Issue 11.2: the re-check's event id cannot be squatted. Stale events
	// posted in advance under the ids the re-check used to take
	// (job-<River id>-payment_recheck) do not stop the order expiring on
	// time, and the ids the re-check takes now are refused on the way in.
	t.Run("SquattedIDsDoNotStopTheExpiry", func(t *testing.T) {
		forEachFamily(t, func(t *testing.T, fam family) {
			b := setup(t, fam, setupOpts{})
			b.createOrder(t, "order-x", 0) // the squatter's own order: paid, no re-check job
			var squat []eligo.Event
			for id := 1; id <= 20; id++ {
				squat = append(squat, eligo.Event{EventID: fmt.Sprintf("job-%d-payment_recheck", id), OrderID: "order-x",
					Type: eligo.EventPayment, Status: "PENDING", OccurredAt: time.Now()})
			}
			rs, err := b.engine.ApplyEvents(t.Context(), squat)
			require.NoError(t, err)
			require.Equal(t, eligo.OutcomeStale, rs[0].Outcome, "the squatting ids were recorded")

			internal := squat[0]
			internal.EventID = eligo.InternalEventIDPrefix + "job-1-payment_recheck"
			rs, err = b.engine.ApplyEvents(t.Context(), []eligo.Event{internal})
			require.NoError(t, err)
			require.Equal(t, eligo.OutcomeRejected, rs[0].Outcome)
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(rs[0].Err))
			require.Contains(t, eligo.ErrorMessage(rs[0].Err), "reserved")

			b.work(t, jobs.WorkersConfig{})
			b.createOrder(t, "order-1", time.Second)
			rows := b.waitJobs(t, "payment_recheck", 1, 15*time.Second)
			require.Equal(t, rivertype.JobStateCompleted, rows[0].State)
			requireExpiredBySystem(t, b, "order-1")
		})
	})

	// An order paid before its timeout never expires: the re-check finds
	// nothing to do, and never asks the provider.
	t.Run("PaidBeforeTimeoutNeverExpires", func(t *testing.T) {
		forEachFamily(t, func(t *testing.T, fam family) {
			b := setup(t, fam, setupOpts{})
			p, pp := newProvider(t, 0, "PENDING")
			b.work(t, jobs.WorkersConfig{Payments: pp})
			b.createOrder(t, "order-1", time.Second)
			rs, err := b.engine.ApplyEvents(t.Context(), []eligo.Event{{EventID: "pay-1", OrderID: "order-1", Type: eligo.EventPayment, Status: "PAID", OccurredAt: time.Now()}})
			require.NoError(t, err)
			require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome)
			rows := b.waitJobs(t, "payment_recheck", 1, 15*time.Second)
			require.Equal(t, rivertype.JobStateCompleted, rows[0].State)
			o := b.order(t, "order-1")
			require.Equal(t, eligo.StatusPlaced, o.Status)
			require.Equal(t, eligo.PaymentPaid, o.PaymentStatus)
			require.Len(t, b.versions(t, "order-1"), 2, "create and payment, no expiry")
			require.Zero(t, p.requests.Load(), "a paid order is not re-checked with the provider")
		})
	})

	// A provider that is down is retried with backoff; once up, its
	// answer is applied once.
	t.Run("ProviderDownThenUp", func(t *testing.T) {
		for _, tt := range []struct {
			answer string
			want   eligo.Status
		}{
			{"PENDING", eligo.StatusExpired},
			{"FAILED", eligo.StatusExpired},
			{"PAID", eligo.StatusPlaced},
		} {
			t.Run(tt.answer, func(t *testing.T) {
				t.Parallel()
				forEachFamily(t, func(t *testing.T, fam family) {
					b := setup(t, fam, setupOpts{})
					p, pp := newProvider(t, 2, tt.answer)
					b.work(t, jobs.WorkersConfig{Payments: pp})
					b.createOrder(t, "order-1", 500*time.Millisecond)
					rows := b.waitJobs(t, "payment_recheck", 1, 15*time.Second)
					require.Equal(t, rivertype.JobStateCompleted, rows[0].State)
					require.Equal(t, 3, rows[0].Attempt, "two failures, then success")
					require.Len(t, rows[0].Errors, 2)
					require.EqualValues(t, 3, p.requests.Load())
					o := b.order(t, "order-1")
					require.Equal(t, tt.want, o.Status)
					vs := b.versions(t, "order-1")
					require.Len(t, vs, 2, "the answer is applied once")
					require.Equal(t, eligo.WhoSystem, vs[1].Whodunnit)
					if tt.answer == "PAID" {
						require.Equal(t, eligo.PaymentPaid, o.PaymentStatus)
					} else {
						requireExpiredBySystem(t, b, "order-1")
					}
				})
			})
		}
	})
}
