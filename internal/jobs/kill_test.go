package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/jobs"
)

// Environment of the worker helper process; when helperDSNEnv is unset,
// TestJobsHelperProcess does nothing.
const (
	helperDSNEnv      = "ELIGO_JOBS_HELPER_DSN"
	helperFamilyEnv   = "ELIGO_JOBS_HELPER_FAMILY"
	helperProviderEnv = "ELIGO_JOBS_HELPER_PROVIDER"
)

// TestJobsHelperProcess is not a test: TestKilledWorker runs the test
// binary again with only this test and the helper variables set. It works
// jobs on the named database until it is killed.
func TestJobsHelperProcess(t *testing.T) {
	dsn := os.Getenv(helperDSNEnv)
	if dsn == "" {
		return
	}
	var fam family
	for _, f := range families {
		if f.name == os.Getenv(helperFamilyEnv) {
			fam = f
		}
	}
	b := setup(t, fam, setupOpts{dsn: dsn})
	b.work(t, jobs.WorkersConfig{Payments: &jobs.PaymentProvider{BaseURL: os.Getenv(helperProviderEnv)}})
	fmt.Println("helper: working")
	select {} // until killed
}

// TestKilledWorker kills a worker process (SIGKILL) while it runs a
// payment re-check, in the middle of asking the provider: River's rescuer
// takes the job that stays running to be lost, and another worker runs it
// again; the order expires once.
func TestKilledWorker(t *testing.T) {
	t.Parallel()
	forEachFamily(t, func(t *testing.T, fam family) {
		b := setup(t, fam, setupOpts{})

		// The provider holds its first request until the test ends (the
		// worker is killed waiting for it) and answers PENDING after.
		entered := make(chan struct{})
		var requests atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if requests.Add(1) == 1 {
				close(entered)
				<-r.Context().Done()
				return
			}
			fmt.Fprint(w, `{"status":"PENDING"}`)
		}))
		t.Cleanup(srv.Close)

		// Due already, so the job is available at once.
		now := time.Now()
		_, _, err := b.engine.CreateOrder(t.Context(), &eligo.NewOrderParams{ID: "order-1", CustomerID: "cust-1",
			PlacedAt: now.Add(-time.Minute), PromisedAt: now.Add(time.Minute), PaymentTimeoutAt: now.Add(-time.Second)}, eligo.WhoService)
		require.NoError(t, err)

		cmd := exec.Command(os.Args[0], "-test.run=^TestJobsHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperDSNEnv+"="+b.dsn, helperFamilyEnv+"="+fam.name, helperProviderEnv+"="+srv.URL)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("the helper never asked the provider:\n%s", out.String())
		}
		require.NoError(t, cmd.Process.Kill()) // SIGKILL, mid-job
		_ = cmd.Wait()

		rows := fam.jobs(t, b.store, "payment_recheck")
		require.Len(t, rows, 1)
		require.Equal(t, rivertype.JobStateRunning, rows[0].State, "the killed worker's job is left running")
		require.Equal(t, eligo.StatusPlaced, b.order(t, "order-1").Status)

		// The dead process led River (leadership lasts a few seconds past
		// its last renewal); drop it so this test's client leads, and its
		// rescuer runs, at once.
		fam.exec(t, b.store, "DELETE FROM river_leader")
		// The rescuer runs when its client becomes leader, then every 30 s:
		// start once the job has been running longer than it allows.
		const rescueAfter = time.Second
		time.Sleep(time.Until(rows[0].AttemptedAt.Add(rescueAfter + 100*time.Millisecond)))
		b.work(t, jobs.WorkersConfig{Payments: &jobs.PaymentProvider{BaseURL: srv.URL}}, func(c *jobs.ClientConfig) {
			c.JobTimeout, c.RescueStuckJobsAfter = rescueAfter, rescueAfter
		})
		rows = b.waitJobs(t, "payment_recheck", 1, 30*time.Second)
		require.Equal(t, rivertype.JobStateCompleted, rows[0].State)
		// Run again after the kill; on a loaded machine an attempt may also
		// outlive the 1 s job timeout that the quick rescue needs and be
		// retried, so more attempts may come. The effect is once whatever.
		require.GreaterOrEqual(t, rows[0].Attempt, 2, "run again after the kill")
		requireExpiredBySystem(t, b, "order-1")
		require.GreaterOrEqual(t, requests.Load(), int64(2))
	})
}

// TestRecheckOnce pins the other half of "its effect happens once": a job
// killed after its change committed but before River recorded it completed
// runs again, and the change carries the job's id as its event id, so the
// second run changes nothing.
func TestRecheckOnce(t *testing.T) {
	t.Parallel()
	forEachFamily(t, func(t *testing.T, fam family) {
		b := setup(t, fam, setupOpts{})
		now := time.Now()
		_, _, err := b.engine.CreateOrder(t.Context(), &eligo.NewOrderParams{ID: "order-1", CustomerID: "cust-1",
			PlacedAt: now.Add(-time.Minute), PromisedAt: now.Add(time.Minute), PaymentTimeoutAt: now.Add(-time.Second)}, eligo.WhoService)
		require.NoError(t, err)
		p := &engine.RecheckPaymentParams{OrderID: "order-1", Payment: eligo.PaymentPending, EventID: "job-1-payment_recheck"}
		r, err := b.engine.RecheckPayment(context.Background(), p)
		require.NoError(t, err)
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		r, err = b.engine.RecheckPayment(context.Background(), p)
		require.NoError(t, err)
		require.Equal(t, eligo.OutcomeDuplicate, r.Outcome)
		requireExpiredBySystem(t, b, "order-1")

		// A re-check that runs before the timeout changes nothing, records
		// nothing, and says when to come back.
		_, _, err = b.engine.CreateOrder(t.Context(), &eligo.NewOrderParams{ID: "order-2", CustomerID: "cust-1",
			PlacedAt: now, PromisedAt: now.Add(time.Hour), PaymentTimeoutAt: now.Add(time.Hour)}, eligo.WhoService)
		require.NoError(t, err)
		p = &engine.RecheckPaymentParams{OrderID: "order-2", Payment: eligo.PaymentPending, EventID: "job-2-payment_recheck"}
		r, err = b.engine.RecheckPayment(context.Background(), p)
		require.NoError(t, err)
		require.Equal(t, eligo.OutcomeStale, r.Outcome)
		require.Equal(t, b.order(t, "order-2").PaymentTimeoutAt, r.NotDueUntil)
		require.Len(t, b.versions(t, "order-2"), 1)
	})
}
