package redis_test

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
)

// dyingModel loses a fifth of the Puts of final versions (so that no
// later change repairs them), as a writer killed between its commit and its
// Put would, and notes when each loss happened.
type dyingModel struct {
	eligo.ReadModel
	final int64
	mu    sync.Mutex
	lost  map[string]lostPut // order id -> the version lost
}

type lostPut struct {
	version int64
	at      time.Time
}

func (d *dyingModel) Put(ctx context.Context, o eligo.Order) (bool, error) {
	if o.Version == d.final && rand.IntN(5) == 0 {
		d.mu.Lock()
		d.lost[o.ID] = lostPut{o.Version, time.Now()}
		d.mu.Unlock()
		return false, nil
	}
	return d.ReadModel.Put(ctx, o)
}

// After writers lose their Puts (killed between commit and Put) during a
// write stream on PostgreSQL + Redis, every order in Redis reaches the
// store's version by the repair of a replica that lives, at its default
// settings; the test logs the lag from each lost Put to its repair.
func TestRepairBringsRedisToTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg, err := postgres.Open(ctx, &postgres.Config{URL: testenv.PostgresSchemaURL(t), MaxConns: 8})
	require.NoError(t, err)
	t.Cleanup(func() { pg.Close() })
	_, err = pg.Migrate(ctx)
	require.NoError(t, err)
	prefix := testPrefix()
	client := newClient(t)
	rm := newReadModel(t, client, redis.ReadModelConfig{Prefix: prefix})
	statuses := []string{"ASSIGNED", "AT_STORE", "PICKED_UP", "ARRIVED_AT_DOORSTEP"}
	dying := &dyingModel{ReadModel: rm, final: int64(1 + len(statuses)), lost: map[string]lostPut{}}
	writer, err := engine.New(engine.Config{Store: pg, ReadModel: dying, Policy: eligo.DefaultPolicy()})
	require.NoError(t, err)
	survivor, err := engine.New(engine.Config{Store: pg, ReadModel: newReadModel(t, newClient(t), redis.ReadModelConfig{Prefix: prefix}),
		Policy: eligo.DefaultPolicy()})
	require.NoError(t, err)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- survivor.Repair(rctx, engine.RepairConfig{Mark: redis.NewRepairMark(client, prefix)}) }()
	t.Cleanup(func() { stop(); require.NoError(t, <-done) })

	const orders, writers = 200, 4
	for i := range orders {
		_, _, err := writer.CreateOrder(ctx, &eligo.NewOrderParams{ID: "ord-" + strconv.Itoa(i), CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}, eligo.WhoService)
		require.NoError(t, err)
	}
	// Watch each lost Put until Redis holds its version.
	var lags []time.Duration
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for wctx.Err() == nil {
			dying.mu.Lock()
			lost := maps.Clone(dying.lost)
			dying.mu.Unlock()
			for id, l := range lost {
				if o, ok, err := rm.Get(ctx, id); err == nil && ok && o.Version >= l.version {
					lags = append(lags, time.Since(l.at))
					dying.mu.Lock()
					delete(dying.lost, id)
					dying.mu.Unlock()
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for s, status := range statuses {
				for i := w; i < orders; i += writers {
					id := "ord-" + strconv.Itoa(i)
					_, err := writer.ApplyEvents(ctx, []eligo.Event{{EventID: id + "-" + strconv.Itoa(s), OrderID: id, Type: eligo.EventDriverStatus, Status: status}})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	end := time.Now()

	// Every order reaches the store's version in Redis.
	want := map[string]int64{}
	for i := range orders {
		o, err := pg.FindOrder(ctx, "ord-"+strconv.Itoa(i))
		require.NoError(t, err)
		want[o.ID] = o.Version
	}
	require.Eventually(t, func() bool {
		for id, v := range want {
			o, ok, err := rm.Get(ctx, id)
			if err != nil || !ok || o.Version < v {
				return false
			}
			delete(want, id)
		}
		return true
	}, 30*time.Second, 10*time.Millisecond, "every order in Redis reaches the store's version")
	all := time.Since(end)
	require.Eventually(t, func() bool { dying.mu.Lock(); defer dying.mu.Unlock(); return len(dying.lost) == 0 }, 10*time.Second, 5*time.Millisecond)
	stopWatch()
	<-watched
	require.NotEmpty(t, lags, "some Puts were lost")
	slices.Sort(lags)
	maxLag := lags[len(lags)-1]
	t.Logf("%d of %d orders lost the Put of their final version; every order in Redis at the store's version %v after the stream ended; lag from a lost Put to its repair: median %v, max %v (bound: Interval+Grace = %v, plus a pass)",
		len(lags), orders, all.Round(time.Millisecond), lags[len(lags)/2].Round(time.Millisecond), maxLag.Round(time.Millisecond), engine.DefaultRepairInterval+engine.DefaultRepairGrace)
}
