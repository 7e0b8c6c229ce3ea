// Package storetest is the one test suite that every eligo.OrderStore
// passes, in the manner of River's riverdrivertest: a backend's tests call
// Exercise with a function that makes a fresh store, and the suite checks
// the interface contract only, never how a backend keeps its data.
package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/testenv"
)

// NewStoreFunc returns a fresh, empty store whose clock is the given
// function. The suite (or benchmark) closes the store when it ends.
type NewStoreFunc func(t testing.TB, clock func() time.Time) eligo.OrderStore

// Exercise runs the suite against stores made by newStore, one fresh store
// per test, with the tests in parallel.
//
// Every time in the suite is a whole number of microseconds, so a backend
// that keeps microseconds (PostgreSQL's timestamptz) passes as well as one
// that keeps nanoseconds.
func Exercise(t *testing.T, newStore NewStoreFunc) {
	t.Helper()
	s := &suite{newStore: newStore}
	t.Run("CreateOrder", s.testCreateOrder)
	t.Run("UpdateOrders", s.testUpdateOrders)
	t.Run("Cancel", s.testCancel)
	t.Run("Read", s.testRead)
	t.Run("ListChanges", s.testListChanges)
	t.Run("ListHotOrders", s.testListHotOrders)
	t.Run("Concurrency", s.testConcurrency)
	t.Run("Retention", s.testRetention)
	t.Run("AttributesAndDeadlines", s.testAttributesAndDeadlines)
	t.Run("Actions", s.testActions)
	t.Run("Policies", s.testPolicies)
}

type suite struct {
	newStore NewStoreFunc
}

// bundle is what one test works with.
type bundle struct {
	ctx   context.Context
	clock *testenv.Clock
	store eligo.OrderStore
}

// setup returns a fresh store on a clock stopped at epoch.
func (s *suite) setup(t *testing.T) *bundle {
	t.Helper()
	c := testenv.NewClock(epoch)
	st := s.newStore(t, c.Now)
	require.NotNil(t, st)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return &bundle{ctx: t.Context(), clock: c, store: st}
}

// epoch is where every test's clock starts: a whole number of microseconds.
var epoch = time.Date(2031, time.March, 4, 5, 6, 7, 123456000, time.UTC)

// params returns valid params for a paid order placed a minute ago and
// promised ten minutes from now.
func (b *bundle) params(id string) *eligo.NewOrderParams {
	now := b.clock.Now()
	return &eligo.NewOrderParams{
		ID:         id,
		CustomerID: "cust-1",
		PlacedAt:   now.Add(-time.Minute),
		PromisedAt: now.Add(10 * time.Minute),
	}
}

// create creates the order of p and requires that it was created.
func (b *bundle) create(t *testing.T, p *eligo.NewOrderParams) eligo.Order {
	t.Helper()
	o, created, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *p, Who: eligo.WhoService})
	require.NoError(t, err)
	require.True(t, created)
	return o
}

// update runs one UpdateOrders call and requires that it succeeded with one
// result per update.
func (b *bundle) update(t *testing.T, updates ...eligo.Update) []eligo.UpdateResult {
	t.Helper()
	rs, err := b.store.UpdateOrders(b.ctx, updates)
	require.NoError(t, err)
	require.Len(t, rs, len(updates))
	return rs
}

// find returns the stored order.
func (b *bundle) find(t *testing.T, id string) eligo.Order {
	t.Helper()
	o, err := b.store.FindOrder(b.ctx, id)
	require.NoError(t, err)
	return o
}

// versions returns the order's versions.
func (b *bundle) versions(t *testing.T, id string) []eligo.Version {
	t.Helper()
	vs, err := b.store.FindVersions(b.ctx, id)
	require.NoError(t, err)
	return vs
}

// DriverEvent returns the update of a driver status event, as the engine
// builds it (eligo.EventUpdate), occurred at the suite's epoch.
func DriverEvent(eventID, orderID string, status eligo.DriverStatus) eligo.Update {
	return eventUpdate(&eligo.Event{
		EventID: eventID, OrderID: orderID, Type: eligo.EventDriverStatus,
		Status: status.String(), OccurredAt: epoch,
	})
}

var driverEvent = DriverEvent

// eventUpdate returns the update that applies e, as the engine builds it.
func eventUpdate(e *eligo.Event) eligo.Update { return eligo.EventUpdate(e, eligo.WhoService) }

// cancelUpdate returns the update that cancels an order under the default
// policy at the store's instant, as the engine builds it.
func cancelUpdate(orderID, who string) eligo.Update {
	return eligo.Update{
		OrderID: orderID,
		Who:     who,
		Apply: func(o eligo.Order, now time.Time) (eligo.Order, error) {
			return eligo.Cancel(o, defaultPolicy, now)
		},
	}
}

var defaultPolicy = eligo.DefaultPolicy()

// requireCode requires that err carries the eligo error code.
func requireCode(t *testing.T, code string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, eligo.ErrorCode(err), "error: %v", err)
}

// requireSameOrder requires that two orders hold the same fields, times
// compared as instants.
func requireSameOrder(t *testing.T, want, got eligo.Order) {
	t.Helper()
	require.Equal(t, want.Fields(), got.Fields())
}

// requireJSONEqual requires that want and got encode to the same JSON, so
// object changes compare equal whether a backend decodes numbers as int64
// or float64.
func requireJSONEqual(t *testing.T, want, got any) {
	t.Helper()
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(w), string(g))
}

// requireSameVersion requires that two version records are the same.
func requireSameVersion(t *testing.T, want, got eligo.Version) {
	t.Helper()
	requireJSONEqual(t, want.ObjectChanges, got.ObjectChanges)
	require.True(t, want.CreatedAt.Equal(got.CreatedAt), "created_at: want %s, got %s", want.CreatedAt, got.CreatedAt)
	want.ObjectChanges, got.ObjectChanges = nil, nil
	want.CreatedAt, got.CreatedAt = time.Time{}, time.Time{}
	require.Equal(t, want, got)
}

// changedFields returns the sorted keys of object changes.
func changedFields(changes map[string][2]any) []string {
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
