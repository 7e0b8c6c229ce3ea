package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
)

func TestEnqueuerParams(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	subs := []jobs.Subscriber{
		{URL: "https://a.example/hook", Secret: testSecret, Events: []string{"create"}},
		{URL: "https://b.example/hook", Secret: testSecret}, // every event
	}
	e, err := jobs.NewEnqueuer(jobs.EnqueueConfig{Outbound: true, Webhooks: subs, WebhookMaxAttempts: 3})
	require.NoError(t, err)
	kinds := func(ps []river.InsertManyParams) []string {
		var ks []string
		for _, p := range ps {
			ks = append(ks, p.Args.Kind())
		}
		return ks
	}

	unpaid := eligo.Order{ID: "o-1", Version: 1, PaymentStatus: eligo.PaymentPending, PaymentTimeoutAt: now}
	ps := e.Params(&eligo.Change{Order: unpaid, VersionID: 7, Event: eligo.VersionCreate})
	require.Equal(t, []string{"payment_recheck", "outbound_event", "webhook", "webhook"}, kinds(ps))
	require.Equal(t, now, ps[0].InsertOpts.ScheduledAt, "re-checked at the timeout")
	require.Equal(t, jobs.OutboundEventArgs{VersionID: 7, OrderID: "o-1", Event: "create", Version: 1}, ps[1].Args)
	require.Equal(t, jobs.WebhookArgs{URL: subs[0].URL, Payload: jobs.Payload{VersionID: 7, OrderID: "o-1", Event: "create", Version: 1}}, ps[2].Args)
	require.Equal(t, 3, ps[2].InsertOpts.MaxAttempts)

	// A paid order has nothing to re-check; an update is no create.
	paid := eligo.Order{ID: "o-2", Version: 1, PaymentStatus: eligo.PaymentPaid}
	require.Equal(t, []string{"outbound_event", "webhook", "webhook"}, kinds(e.Params(&eligo.Change{Order: paid, VersionID: 8, Event: eligo.VersionCreate})))
	updated := unpaid
	updated.Version = 2
	require.Equal(t, []string{"outbound_event", "webhook"}, kinds(e.Params(&eligo.Change{Order: updated, VersionID: 9, Event: eligo.VersionUpdate})))

	// An action's payload says so (it was "update", inferred from the
	// version number); a subscriber of updates gets actions too.
	acted := eligo.Change{Order: updated, VersionID: 10, Event: eligo.VersionAction}
	ps = e.Params(&acted)
	require.Equal(t, jobs.OutboundEventArgs{VersionID: 10, OrderID: "o-1", Event: "action", Version: 2}, ps[0].Args)
	onlyUpdates := jobs.Subscriber{URL: "https://c.example/hook", Secret: testSecret, Events: []string{"update"}}
	onlyActions := jobs.Subscriber{URL: "https://d.example/hook", Secret: testSecret, Events: []string{"action"}}
	require.NoError(t, onlyActions.Validate())
	require.True(t, onlyUpdates.Wants("action"))
	require.True(t, onlyActions.Wants("action"))
	require.False(t, onlyActions.Wants("update"))

	_, err = jobs.NewEnqueuer(jobs.EnqueueConfig{Webhooks: []jobs.Subscriber{{URL: "ftp://x", Secret: testSecret}}})
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
}

func TestParseSubscribers(t *testing.T) {
	t.Parallel()
	subs, err := jobs.ParseSubscribers([]byte(`[{"url":"https://a.example/h","secret":"0123456789abcdef","events":["update"]}]`))
	require.NoError(t, err)
	require.True(t, subs[0].Wants("update"))
	require.False(t, subs[0].Wants("create"))
	for _, bad := range []string{
		`{}`, // not an array
		`[{"url":"https://a.example/h","secret":"short"}]`,
		`[{"url":"https://a.example/h","secret":"0123456789abcdef","events":["delete"]}]`,
		`[{"url":"https://a.example/h","secret":"0123456789abcdef","extra":1}]`,
		// Jobs name their subscriber by URL: it must be unique.
		`[{"url":"https://a.example/h","secret":"0123456789abcdef"},{"url":"https://a.example/h","secret":"fedcba9876543210"}]`,
	} {
		_, err := jobs.ParseSubscribers([]byte(bad))
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), bad)
	}
}

// TestJobsCommitWithTheChange pins invariant 2 for jobs: a change and its
// jobs commit together or not at all. No lost jobs, no phantom jobs.
func TestJobsCommitWithTheChange(t *testing.T) {
	t.Parallel()
	forEachFamily(t, func(t *testing.T, fam family) {
		failing := false
		b := setup(t, fam, setupOpts{enqueue: jobs.EnqueueConfig{Outbound: true, Extra: func(o *eligo.Order, _ int64) []river.InsertManyParams {
			if failing { // a job River refuses: the insert fails
				return []river.InsertManyParams{{Args: jobs.PaymentRecheckArgs{OrderID: o.ID}, InsertOpts: &river.InsertOpts{Priority: 99}}}
			}
			return nil
		}}})
		b.createOrder(t, "order-1", time.Hour)
		rows := fam.jobs(t, b.store, "payment_recheck")
		require.Len(t, rows, 1)
		require.Equal(t, rivertype.JobStateScheduled, rows[0].State)
		require.Len(t, fam.jobs(t, b.store, "outbound_event"), 1)

		// A stale or duplicate event writes no version and causes no job.
		ev := eligo.Event{EventID: "ev-1", OrderID: "order-1", Type: eligo.EventDriverStatus, Status: "ASSIGNED"}
		for range 2 {
			_, err := b.engine.ApplyEvents(context.Background(), []eligo.Event{ev})
			require.NoError(t, err)
		}
		require.Len(t, fam.jobs(t, b.store, "outbound_event"), 2)

		// When inserting the jobs fails, the change is not there either.
		failing = true
		now := time.Now()
		_, _, err := b.engine.CreateOrder(t.Context(), &eligo.NewOrderParams{ID: "order-2", CustomerID: "c",
			PromisedAt: now.Add(time.Hour), PaymentTimeoutAt: now.Add(time.Hour)}, eligo.WhoService)
		require.Error(t, err)
		_, err = b.store.FindOrder(t.Context(), "order-2")
		require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
		require.Len(t, fam.jobs(t, b.store, "payment_recheck"), 1)
		require.Len(t, fam.jobs(t, b.store, "outbound_event"), 2)
	})
}
