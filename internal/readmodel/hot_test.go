package readmodel

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/testenv"
)

// A terminal order leaves the hot set in the first sweep after its grace
// period; a live order stays, however old (25 h here: older than anything
// used to be kept anywhere); the gauge and the counter say so.
func TestMemorySweepsOrdersPastTheirGrace(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Date(2031, 3, 4, 5, 0, 0, 0, time.UTC)
	clock := testenv.NewClock(now)
	reg := prometheus.NewRegistry()
	m, err := NewHotSet(&HotSetConfig{Grace: time.Hour, Now: clock.Now, Registerer: reg})
	require.NoError(t, err)
	order := func(id string, status eligo.Status, updated time.Time) eligo.Order {
		return eligo.Order{ID: id, Status: status, Version: 1, UpdatedAt: updated}
	}
	for _, o := range []eligo.Order{
		order("live-old", eligo.StatusPlaced, now.Add(-25*time.Hour)),
		order("ended-10m", eligo.StatusDelivered, now.Add(-10*time.Minute)),
		order("ended-50m", eligo.StatusCancelled, now.Add(-50*time.Minute)),
	} {
		stored, err := m.Put(ctx, o)
		require.NoError(t, err)
		require.True(t, stored, o.ID)
	}
	require.Equal(t, 3.0, testenv.MetricValue(t, reg, "eligo_hot_orders"))

	require.Zero(t, m.Sweep(), "nothing is past its grace yet")
	clock.Advance(10 * time.Minute) // ended-50m ended an hour ago
	require.Equal(t, 1, m.Sweep())
	_, ok, _ := m.Get(ctx, "ended-50m")
	require.False(t, ok)
	clock.Advance(39 * time.Minute)
	require.Zero(t, m.Sweep(), "ended-10m has a minute left")
	clock.Advance(time.Minute)
	require.Equal(t, 1, m.Sweep())

	o, ok, _ := m.Get(ctx, "live-old")
	require.True(t, ok, "a live order stays, however old")
	require.Equal(t, "live-old", o.ID)
	require.Equal(t, 1, m.Len())
	require.Equal(t, 1.0, testenv.MetricValue(t, reg, "eligo_hot_orders"))
	require.Equal(t, 2.0, testenv.MetricValue(t, reg, "eligo_hot_evictions_total"))
}

// A Put of an order past its grace stores nothing and drops the older
// snapshot held, and a sweep does not count that order again.
func TestMemoryPutPastTheGraceDropsTheOlderSnapshot(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Date(2031, 3, 4, 5, 0, 0, 0, time.UTC)
	clock := testenv.NewClock(now)
	m, err := NewHotSet(&HotSetConfig{Grace: time.Hour, Now: clock.Now})
	require.NoError(t, err)
	ended := eligo.Order{ID: "o1", Status: eligo.StatusDelivered, Version: 1, UpdatedAt: now.Add(-30 * time.Minute)}
	_, err = m.Put(ctx, ended)
	require.NoError(t, err)
	late := ended
	late.Version, late.UpdatedAt = 2, now.Add(-2*time.Hour)
	stored, err := m.Put(ctx, late)
	require.NoError(t, err)
	require.False(t, stored)
	_, ok, _ := m.Get(ctx, "o1")
	require.False(t, ok)
	require.Zero(t, m.Len())
	clock.Advance(time.Hour)
	require.Zero(t, m.Sweep(), "the order left already")
	require.Zero(t, m.Len())
}

func TestNewHotSetRefusesANegativeGrace(t *testing.T) {
	t.Parallel()
	_, err := NewHotSet(&HotSetConfig{Grace: -time.Second})
	require.ErrorContains(t, err, "must not be negative")
}

// The heap pops endings earliest first, whatever order they came in.
func TestEndingsPopEarliestFirst(t *testing.T) {
	t.Parallel()
	base := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	var h endings
	for range 500 {
		h.push(ending{at: base.Add(time.Duration(rand.IntN(1000)) * time.Second)})
	}
	prev := base
	for len(h) > 0 {
		e := h.pop()
		require.False(t, e.at.Before(prev), "%s popped after %s", e.at, prev)
		prev = e.at
	}
}
