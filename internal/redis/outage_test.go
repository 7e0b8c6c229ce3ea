package redis_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/sqlite"
)

// logRecords is a slog.Handler that keeps what it is given.
type logRecords struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

// atLeast returns the messages of the records at level or above.
func (l *logRecords) atLeast(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if r.Level >= level {
			out = append(out, r.Message)
		}
	}
	return out
}

func (l *logRecords) attr(msg, key string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := ""
	for _, r := range l.records {
		if r.Message == msg {
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == key {
					v = a.Value.String()
				}
				return true
			})
		}
	}
	return v
}

// Pins issue 11: a replica that started while Redis was down exited, and an
// outage logged every failed read and write. Now it starts, reads from the
// store, says it is degraded, connects by itself, and logs the outage
// twice.
func TestStartWithoutRedisAndOutageLoggedOnce(t *testing.T) {
	t.Parallel()
	srv := startPrivateRedis(t)
	srv.Kill() // a free port, nothing listening: Redis is down at start
	ctx := context.Background()
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })

	client, err := redis.NewClient(ctx, redis.ClientConfig{Addr: srv.Addr, Name: "eligo-test"})
	require.NoError(t, err, "a replica starts while Redis is unreachable")
	t.Cleanup(client.Close)
	logs := &logRecords{}
	reg := prometheus.NewRegistry()
	rm := newReadModel(t, client, redis.ReadModelConfig{Logger: slog.New(logs), Registerer: reg})
	fanLogs := &logRecords{}
	fan := newFanout(t, client, redis.FanoutConfig{Logger: slog.New(fanLogs)})
	resyncs := make(chan struct{}, 100)
	lctx, stopListen := context.WithCancel(ctx)
	listened := make(chan error, 1)
	go func() {
		listened <- fan.ListenResync(lctx, func(string, int64) {}, func() { resyncs <- struct{}{} })
	}()
	t.Cleanup(func() { stopListen(); require.NoError(t, <-listened) })
	eng, err := engine.New(engine.Config{Store: store, ReadModel: rm,
		Policy: eligo.DefaultPolicy(), Listeners: []engine.Listener{fan}})
	require.NoError(t, err)
	require.NotEmpty(t, rm.Degraded(), "degraded while Redis is away")
	available := func() float64 {
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			if mf.GetName() == "eligo_redis_available" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no eligo_redis_available gauge")
		return 0
	}
	require.Zero(t, available())

	const orders, reads = 20, 200
	for i := range orders {
		_, _, err := eng.CreateOrder(ctx, &eligo.NewOrderParams{ID: "ord-" + strconv.Itoa(i), CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}, eligo.WhoService)
		require.NoError(t, err)
	}
	for i := range reads {
		o, err := eng.Order(ctx, "ord-"+strconv.Itoa(i%orders))
		require.NoError(t, err, "reads go to the store")
		require.EqualValues(t, 1, o.Version)
	}
	require.Equal(t, []string{"redis unreachable at start: starting without it; reads go to the store, and the client connects by itself"},
		logs.atLeast(slog.LevelInfo), "one line for the outage so far, not one a call")

	srv.Restart(t)
	require.Eventually(t, func() bool { return rm.Degraded() == "" }, 20*time.Second, 10*time.Millisecond, "the client connected by itself")
	require.Equal(t, 1.0, available())
	select {
	case <-resyncs: // the fan-out subscribed on the new connection
	case <-time.After(20 * time.Second):
		t.Fatal("the fan-out did not subscribe once Redis was back")
	}
	msgs := logs.atLeast(slog.LevelInfo)
	require.Len(t, msgs, 2, "%q", msgs)
	require.Equal(t, "redis available again", msgs[1])
	t.Logf("end of outage: failed_reads=%s failed_writes=%s", logs.attr(msgs[1], "failed_reads"), logs.attr(msgs[1], "failed_writes"))

	// Redis serves again: a read fills it, and the next is a cache hit.
	key := redis.OrderKey(redis.DefaultPrefix, "ord-0")
	require.Eventually(t, func() bool {
		if _, err := eng.Order(ctx, "ord-0"); err != nil {
			return false
		}
		n, err := client.Do(ctx, client.B().Exists().Key(key).Build()).AsInt64()
		return err == nil && n == 1
	}, 10*time.Second, 10*time.Millisecond, "Redis holds the order again")
	require.LessOrEqual(t, len(fanLogs.atLeast(slog.LevelWarn)), 2, "the fan-out logs an outage once per direction: %q", fanLogs.atLeast(slog.LevelWarn))

	// An outage while running: once at its start, once at its end.
	srv.Kill()
	for i := range reads {
		id := "ord-" + strconv.Itoa(i%orders)
		_, err := eng.Order(ctx, id)
		require.NoError(t, err)
		if i < orders {
			rs, err := eng.ApplyEvents(ctx, []eligo.Event{{EventID: "ev-" + id, OrderID: id, Type: eligo.EventDriverStatus, Status: "ASSIGNED"}})
			require.NoError(t, err)
			require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome)
		}
	}
	msgs = logs.atLeast(slog.LevelInfo)
	require.Len(t, msgs, 3, "%q", msgs)
	require.Equal(t, "redis unavailable: reads go to the store, writes are retried until it is back", msgs[2])
	require.NotEmpty(t, rm.Degraded())
	srv.Restart(t)
	require.Eventually(t, func() bool {
		_, err := eng.Order(ctx, "ord-0")
		return err == nil && rm.Degraded() == ""
	}, 20*time.Second, 10*time.Millisecond, "Redis answers again")
	msgs = logs.atLeast(slog.LevelInfo)
	require.Len(t, msgs, 4, "%q", msgs)
	require.Equal(t, "redis available again", msgs[3])
	t.Logf("end of outage: failed_reads=%s failed_writes=%s", logs.attr(msgs[3], "failed_reads"), logs.attr(msgs[3], "failed_writes"))
	require.NotEqual(t, "0", logs.attr(msgs[3], "failed_reads"))
}
