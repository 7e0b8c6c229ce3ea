package redis_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
)

// Redis holds the hot set, as the in-process model does: the key of a live
// order never expires, however old the order (it used to expire 24 h after
// its last write, and a 25-hour-old open order then went to the store on
// every read); the key of a terminal order expires at the end of its grace
// period; and an order past its grace is not stored at all, and takes an
// older snapshot of it away with it.
func TestReadModelHoldsTheHotSet(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := newClient(t)
	prefix := testPrefix()
	now := time.Date(2031, 3, 4, 5, 0, 0, 0, time.UTC)
	clock := testenv.NewClock(now)
	reg := prometheus.NewRegistry()
	m := newReadModel(t, c, redis.ReadModelConfig{Prefix: prefix, Grace: time.Hour, Now: clock.Now, Registerer: reg})
	pttl := func(id string) int64 {
		t.Helper()
		ms, err := c.Do(ctx, c.B().Pttl().Key(redis.OrderKey(prefix, id)).Build()).AsInt64()
		require.NoError(t, err)
		return ms
	}
	order := func(id string, status eligo.Status, updated time.Time, version int64) eligo.Order {
		return eligo.Order{ID: id, CustomerID: "cust-1", Status: status, PlacedAt: updated, PromisedAt: updated.Add(10 * time.Minute),
			Version: version, UpdatedAt: updated}
	}

	old := order("ord-old", eligo.StatusPlaced, now.Add(-25*time.Hour), 3)
	stored, err := m.Put(ctx, old)
	require.NoError(t, err)
	require.True(t, stored)
	require.EqualValues(t, -1, pttl("ord-old"), "the key of a live order has no expiry")
	got, ok, err := m.Get(ctx, "ord-old")
	require.NoError(t, err)
	require.True(t, ok, "a live order 25 h old is read from Redis")
	require.EqualValues(t, 3, got.Version)

	// Its end: the key now expires at the end of the grace period.
	clock.Advance(20 * time.Minute)
	ended := old
	ended.Status, ended.Version, ended.UpdatedAt = eligo.StatusCancelled, 4, now.Add(-10*time.Minute)
	stored, err = m.Put(ctx, ended)
	require.NoError(t, err)
	require.True(t, stored)
	require.InDelta(t, (30 * time.Minute).Milliseconds(), pttl("ord-old"), float64(time.Minute.Milliseconds()),
		"ended 30 min before now on a 1 h grace")

	// A live key, then its end written past the grace (a Put retried
	// late, the repair): the live snapshot must not stay forever.
	stale := order("ord-late", eligo.StatusPlaced, clock.Now().Add(-3*time.Hour), 1)
	_, err = m.Put(ctx, stale)
	require.NoError(t, err)
	require.EqualValues(t, -1, pttl("ord-late"))
	late := stale
	late.Status, late.Version, late.UpdatedAt = eligo.StatusDelivered, 2, clock.Now().Add(-2*time.Hour)
	stored, err = m.Put(ctx, late)
	require.NoError(t, err)
	require.False(t, stored, "an order past its grace is not stored")
	require.EqualValues(t, -2, pttl("ord-late"), "and its older snapshot is deleted")
	_, ok, err = m.Get(ctx, "ord-late")
	require.NoError(t, err)
	require.False(t, ok)
	require.Equal(t, 1.0, counter(t, reg, "eligo_redis_read_model_puts_total", "cold"))
}
