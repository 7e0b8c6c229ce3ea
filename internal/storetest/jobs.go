package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/testenv"
)

// NewJobsStoreFunc returns a fresh, empty store whose jobs hook
// (eligo.JobsHook, typed by the backend's transaction) first calls hook
// with the transaction's changes and, when hook returns nil, inserts one
// job row per change through the transaction: a stand-in for the rows
// River's InsertManyTx writes. The row must be written only if the change's
// version is visible in that transaction (for example INSERT ... SELECT id
// FROM versions WHERE id = $1, failing when no row was inserted), so the
// suite knows that the hook runs inside it. jobs returns the version ids of
// the committed job rows, oldest first. The suite closes the store.
type NewJobsStoreFunc func(t *testing.T, clock func() time.Time, hook func(ctx context.Context, changes []eligo.Change) error) (store eligo.OrderStore, jobs func() []int64)

// ExerciseJobs runs the suite of the jobs hook: one call per write
// transaction that applied a change, with every change in input order, and
// a change and its jobs commit together or not at all, also when the hook
// fails.
func ExerciseJobs(t *testing.T, newStore NewJobsStoreFunc) {
	t.Helper()
	setup := func(t *testing.T) (*bundle, *hookCalls, func() []int64) {
		c := testenv.NewClock(epoch)
		h := &hookCalls{}
		st, jobs := newStore(t, c.Now, h.hook)
		require.NotNil(t, st)
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		return &bundle{ctx: t.Context(), clock: c, store: st}, h, jobs
	}

	t.Run("CreateCommitsWithItsJobs", func(t *testing.T) {
		t.Parallel()
		b, h, jobs := setup(t)
		o := b.create(t, b.params("order-1"))
		v := b.versions(t, "order-1")[0]
		calls := h.get()
		require.Len(t, calls, 1)
		require.Len(t, calls[0], 1)
		requireSameOrder(t, o, calls[0][0].Order)
		require.Equal(t, v.ID, calls[0][0].VersionID)
		require.Equal(t, []int64{v.ID}, jobs())
	})

	t.Run("OneCallPerBatchWithTheAppliedChanges", func(t *testing.T) {
		t.Parallel()
		b, h, jobs := setup(t)
		b.create(t, b.params("order-a"))
		b.create(t, b.params("order-b"))
		before := jobs()
		rs := b.update(t,
			driverEvent("ev-1", "order-a", eligo.DriverAssigned),
			driverEvent("ev-2", "order-missing", eligo.DriverAssigned), // rejected
			driverEvent("ev-3", "order-b", eligo.DriverAssigned),
			driverEvent("ev-4", "order-a", eligo.DriverAssigned), // stale
			driverEvent("ev-1", "order-a", eligo.DriverAssigned), // duplicate
			driverEvent("ev-5", "order-a", eligo.DriverAtStore),
		)
		calls := h.get()
		require.Len(t, calls, 3, "one call per create, one for the whole batch")
		batch := calls[2]
		require.Len(t, batch, 3, "the applied changes only, in input order")
		for i, j := range []int{0, 2, 5} {
			requireSameOrder(t, rs[j].Order, batch[i].Order)
			require.Equal(t, rs[j].VersionID, batch[i].VersionID)
		}
		require.Equal(t, append(before, rs[0].VersionID, rs[2].VersionID, rs[5].VersionID), jobs())

		// A batch that applies nothing does not call the hook.
		b.update(t, driverEvent("ev-6", "order-a", eligo.DriverAssigned), driverEvent("ev-7", "order-missing", eligo.DriverAssigned))
		require.Len(t, h.get(), 3)
	})

	t.Run("FailingHookRollsTheBatchBack", func(t *testing.T) {
		t.Parallel()
		b, h, jobs := setup(t)
		b.create(t, b.params("order-a"))
		b.create(t, b.params("order-b"))
		before := jobs()

		h.fail(true)
		_, err := b.store.UpdateOrders(b.ctx, []eligo.Update{
			driverEvent("ev-1", "order-a", eligo.DriverAssigned),
			driverEvent("ev-2", "order-b", eligo.DriverAssigned),
		})
		require.ErrorIs(t, err, errHook)
		for _, id := range []string{"order-a", "order-b"} {
			require.EqualValues(t, 1, b.find(t, id).Version, "the hook's error rolled %s back", id)
			require.Len(t, b.versions(t, id), 1)
		}
		require.Equal(t, before, jobs(), "no job of the failed transaction committed")

		// Nor did the event ids: the resend applies.
		h.fail(false)
		rs := b.update(t, driverEvent("ev-1", "order-a", eligo.DriverAssigned), driverEvent("ev-2", "order-b", eligo.DriverAssigned))
		require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome)
		require.Equal(t, eligo.OutcomeApplied, rs[1].Outcome)
		require.Equal(t, append(before, rs[0].VersionID, rs[1].VersionID), jobs())
	})

	t.Run("FailingHookRollsTheCreateBack", func(t *testing.T) {
		t.Parallel()
		b, h, jobs := setup(t)
		h.fail(true)
		_, _, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *b.params("order-1"), Who: eligo.WhoService})
		require.ErrorIs(t, err, errHook)
		_, err = b.store.FindOrder(b.ctx, "order-1")
		requireCode(t, eligo.ENOTFOUND, err)
		require.Empty(t, jobs())

		h.fail(false)
		b.create(t, b.params("order-1"))
		require.Len(t, jobs(), 1)
	})
}

// errHook is the error of a failing hook.
var errHook = errors.New("storetest: the jobs hook fails")

// hookCalls records the changes of every successful hook call and fails on
// demand.
type hookCalls struct {
	mu      sync.Mutex
	calls   [][]eligo.Change
	failing bool
}

func (h *hookCalls) hook(_ context.Context, changes []eligo.Change) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failing {
		return errHook
	}
	h.calls = append(h.calls, slices.Clone(changes))
	return nil
}

func (h *hookCalls) fail(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failing = on
}

func (h *hookCalls) get() [][]eligo.Change {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}
