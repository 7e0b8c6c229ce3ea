package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// groupBundle is a store whose jobs hook holds the writer on demand, so a
// test can queue writes behind a transaction in flight and see what the
// next group does with them.
type groupBundle struct {
	store *Store
	now   time.Time

	holding  chan struct{} // closed when the hook holds the writer
	release  chan struct{} // close to let it go
	holdOnce sync.Once     // only the first create of holdOrder holds

	mu    sync.Mutex
	calls []hookCall
}

// hookCall is one call of the jobs hook: its transaction and the orders of
// its changes.
type hookCall struct {
	tx     *sql.Tx
	orders []string
}

// Order ids the hook treats specially.
const (
	holdOrder     = "order-hold"       // its hook call waits for release
	hookFailOrder = "order-hook-fails" // its hook call fails
)

var errHookFails = errors.New("the jobs hook fails for " + hookFailOrder)

func setupGroup(t *testing.T, timeout time.Duration) *groupBundle {
	t.Helper()
	b := &groupBundle{now: time.Date(2031, time.March, 4, 14, 0, 0, 0, time.UTC),
		holding: make(chan struct{}), release: make(chan struct{})}
	s, err := Open(t.Context(), &Config{Path: filepath.Join(t.TempDir(), "eligo.db"), Timeout: timeout,
		Now: func() time.Time { return b.now }, Jobs: b.hook})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	b.store = s
	return b
}

func (b *groupBundle) hook(_ context.Context, tx *sql.Tx, changes []eligo.Change) error {
	var orders []string
	for _, c := range changes {
		switch c.Order.ID {
		case holdOrder:
			b.holdOnce.Do(func() {
				close(b.holding)
				<-b.release
			})
		case hookFailOrder:
			return errHookFails
		}
		orders = append(orders, c.Order.ID)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, hookCall{tx: tx, orders: orders})
	return nil
}

func (b *groupBundle) hookCalls() []hookCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]hookCall(nil), b.calls...)
}

func (b *groupBundle) params(id string) *eligo.CreateOrderParams {
	return &eligo.CreateOrderParams{Who: eligo.WhoService, Order: eligo.NewOrderParams{
		ID: id, CustomerID: "cust-1", PlacedAt: b.now.Add(-time.Minute), PromisedAt: b.now.Add(10 * time.Minute)}}
}

// hold creates holdOrder, whose transaction holds the writer until
// release is closed; it returns the create's error once it ends.
func (b *groupBundle) hold(t *testing.T) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, _, err := b.store.CreateOrder(context.Background(), b.params(holdOrder))
		done <- err
	}()
	<-b.holding
	return done
}

// queue runs write in a goroutine and returns once it is queued behind the
// transaction in flight; the channel gives write's error when it returns.
func (b *groupBundle) queue(t *testing.T, write func() error) <-chan error {
	t.Helper()
	before := b.queued()
	done := make(chan error, 1)
	go func() { done <- write() }()
	require.Eventually(t, func() bool { return b.queued() == before+1 }, 10*time.Second, time.Millisecond,
		"the write never queued")
	return done
}

func (b *groupBundle) queued() int {
	b.store.group.mu.Lock()
	defer b.store.group.mu.Unlock()
	return len(b.store.group.queue)
}

// The writes queued behind a transaction in flight commit together in the
// next one, each with its own result and its own jobs hook call; a write
// that fails (a time the store cannot hold, a failing hook after its rows
// were written) is rolled back alone, and the ones after it still see the
// writes before it.
func TestGroupCommitGathersQueuedWritesAndRejectsOnlyTheFailingOnes(t *testing.T) {
	t.Parallel()
	b := setupGroup(t, 0)
	ctx := t.Context()
	held := b.hold(t)

	created := func(id string) (func() error, *eligo.Order) {
		var o eligo.Order
		return func() error {
			var err error
			o, _, err = b.store.CreateOrder(ctx, b.params(id))
			return err
		}, &o
	}
	createA, orderA := created("order-a")
	badTime := b.params("order-bad-time")
	badTime.Order.PromisedAt = time.Date(2300, time.January, 1, 0, 0, 0, 0, time.UTC)
	createB, orderB := created("order-b")
	var assigned []eligo.UpdateResult

	doneA := b.queue(t, createA)
	doneBadTime := b.queue(t, func() error { _, _, err := b.store.CreateOrder(ctx, badTime); return err })
	doneHookFails := b.queue(t, func() error { _, _, err := b.store.CreateOrder(ctx, b.params(hookFailOrder)); return err })
	doneEvent := b.queue(t, func() error {
		var err error
		assigned, err = b.store.UpdateOrders(ctx, []eligo.Update{driverAssigned("ev-1", "order-a")})
		return err
	})
	doneB := b.queue(t, createB)
	require.Equal(t, 5, b.queued())
	close(b.release)

	require.NoError(t, <-held)
	require.NoError(t, <-doneA)
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(<-doneBadTime))
	require.ErrorIs(t, <-doneHookFails, errHookFails)
	require.NoError(t, <-doneEvent)
	require.NoError(t, <-doneB)

	require.Equal(t, "order-a", orderA.ID)
	require.Equal(t, "order-b", orderB.ID)
	require.Equal(t, eligo.OutcomeApplied, assigned[0].Outcome, "the event sees the create before it in the group")
	require.EqualValues(t, 2, assigned[0].Order.Version)
	for _, id := range []string{"order-bad-time", hookFailOrder} {
		_, err := b.store.FindOrder(ctx, id)
		require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err), "%s was rolled back", id)
	}
	for id, version := range map[string]int64{holdOrder: 1, "order-a": 2, "order-b": 1} {
		o, err := b.store.FindOrder(ctx, id)
		require.NoError(t, err)
		require.Equal(t, version, o.Version, id)
	}

	calls := b.hookCalls()
	require.Len(t, calls, 4, "one hook call per write that applied a change")
	require.Equal(t, []string{holdOrder}, calls[0].orders)
	for i, want := range []string{"order-a", "order-a", "order-b"} {
		require.Equal(t, []string{want}, calls[i+1].orders)
		require.Same(t, calls[1].tx, calls[i+1].tx, "the queued writes share one transaction")
	}
	require.NotSame(t, calls[0].tx, calls[1].tx)

	// The version ids the writes returned are the store's changes, in
	// order, with none left by the rolled-back writes.
	changes, err := b.store.ListChanges(ctx, 0, 10)
	require.NoError(t, err)
	var got []string
	for _, c := range changes {
		got = append(got, c.OrderID)
	}
	require.Equal(t, []string{holdOrder, "order-a", "order-a", "order-b"}, got)
	require.Equal(t, assigned[0].VersionID, changes[2].VersionID)
}

// A write whose caller goes away while it waits for the writer returns at
// once with the context's error, and is never applied; one whose store
// deadline passes while it waits is EUNAVAILABLE, and not applied either.
func TestGroupCommitWithdrawsAWriteWhoseContextEnds(t *testing.T) {
	t.Parallel()
	t.Run("Canceled", func(t *testing.T) {
		t.Parallel()
		b := setupGroup(t, 0)
		held := b.hold(t)
		ctx, cancel := context.WithCancel(t.Context())
		done := b.queue(t, func() error { _, _, err := b.store.CreateOrder(ctx, b.params("order-gone")); return err })
		cancel()
		require.ErrorIs(t, <-done, context.Canceled, "it returns while the writer is still held")

		close(b.release)
		require.NoError(t, <-held)
		_, err := b.store.FindOrder(t.Context(), "order-gone")
		require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err), "the withdrawn write was not applied")
		require.Zero(t, b.queued())
		_, created, err := b.store.CreateOrder(t.Context(), b.params("order-after"))
		require.NoError(t, err)
		require.True(t, created)
	})
	t.Run("StoreTimeout", func(t *testing.T) {
		t.Parallel()
		b := setupGroup(t, 100*time.Millisecond)
		held := b.hold(t)
		done := b.queue(t, func() error {
			_, err := b.store.UpdateOrders(t.Context(), []eligo.Update{driverAssigned("ev-1", holdOrder)})
			return err
		})
		err := <-done
		require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "error: %v", err)

		close(b.release)
		<-held // past its own deadline too; whatever it got, the event was not applied
		_, _, err = b.store.CreateOrder(t.Context(), b.params(holdOrder))
		require.NoError(t, err)
		rs, err := b.store.UpdateOrders(t.Context(), []eligo.Update{driverAssigned("ev-1", holdOrder)})
		require.NoError(t, err)
		require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome, "the event id was not recorded by the withdrawn write")
	})
}

// A write whose Apply panics in a group fails alone: its caller panics
// with the same value, in its own goroutine, and the writes around it
// commit; the store goes on writing.
func TestGroupCommitPanicOfAWriteReachesItsCallerOnly(t *testing.T) {
	t.Parallel()
	b := setupGroup(t, 0)
	ctx := t.Context()
	held := b.hold(t)
	doneA := b.queue(t, func() error { _, _, err := b.store.CreateOrder(ctx, b.params("order-a")); return err })
	panicked := make(chan any, 1)
	donePanic := b.queue(t, func() error {
		defer func() { panicked <- recover() }()
		boom := func(eligo.Order, time.Time) (eligo.Order, error) { panic("boom") }
		_, err := b.store.UpdateOrders(ctx, []eligo.Update{{OrderID: holdOrder, Who: eligo.WhoService, Apply: boom}})
		return err
	})
	doneB := b.queue(t, func() error { _, _, err := b.store.CreateOrder(ctx, b.params("order-b")); return err })
	close(b.release)

	require.NoError(t, <-held)
	require.NoError(t, <-doneA)
	require.NoError(t, <-donePanic, "the panic ended the call, not an error")
	require.Equal(t, "boom", <-panicked)
	require.NoError(t, <-doneB)
	for _, id := range []string{holdOrder, "order-a", "order-b"} {
		o, err := b.store.FindOrder(ctx, id)
		require.NoError(t, err)
		require.EqualValues(t, 1, o.Version, "%s committed, and the panicking update did not", id)
	}
	_, created, err := b.store.CreateOrder(ctx, b.params("order-c"))
	require.NoError(t, err)
	require.True(t, created)
}

// driverAssigned is the event that assigns a driver to the order.
func driverAssigned(eventID, orderID string) eligo.Update {
	return eligo.EventUpdate(&eligo.Event{EventID: eventID, OrderID: orderID, Type: eligo.EventDriverStatus,
		Status: eligo.DriverAssigned.String()}, eligo.WhoService)
}
