package engine_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
	"github.com/eligo/eligo/internal/testenv"
)

// flakyPing is a store whose Ping fails while down is set.
type flakyPing struct {
	eligo.OrderStore
	down atomic.Bool
}

func (s *flakyPing) Ping(ctx context.Context) error {
	if s.down.Load() {
		return eligo.Errorf(eligo.EUNAVAILABLE, "dial tcp: connection refused")
	}
	return s.OrderStore.Ping(ctx)
}

// TestStoreAvailableFollowsTheStore pins eligo_store_available: WatchStore
// keeps it at the store's last answer, and logs the outage once at each
// end.
func TestStoreAvailableFollowsTheStore(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	store := &flakyPing{OrderStore: st}
	reg := prometheus.NewRegistry()
	logs := &testenv.SyncBuffer{}
	e, err := engine.New(engine.Config{Store: store, ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy(), Registerer: reg, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	available := func() float64 { return testenv.MetricValue(t, reg, "eligo_store_available") }

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.WatchStore(ctx, 2*time.Millisecond) }()
	require.Eventually(t, func() bool { return available() == 1 }, 5*time.Second, time.Millisecond)
	store.down.Store(true)
	require.Eventually(t, func() bool { return available() == 0 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // several failed pings
	store.down.Store(false)
	require.Eventually(t, func() bool { return available() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, 1, strings.Count(logs.String(), "the store does not answer"), logs.String())
	require.Equal(t, 1, strings.Count(logs.String(), "the store answers again"), logs.String())
}
