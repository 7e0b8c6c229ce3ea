package redis_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
	"github.com/eligo/eligo/internal/testenv/redisserver"
	"github.com/eligo/eligo/internal/testenv/stack"
)

// startPrivateRedis starts a redis-server of the test's own, which it may
// flush, kill and start again without disturbing anyone. It runs with the
// other Redis tests (ELIGO_TEST_REDIS_ADDR set, or CI); without
// redis-server the test is skipped, or fails under CI.
func startPrivateRedis(t *testing.T) *redisserver.Server {
	t.Helper()
	testenv.RedisAddr(t)
	return redisserver.Start(t, redisserver.Options{})
}

// A Redis restart and a FLUSHALL under a running engine lose nothing:
// while Redis is away answers come from the store and Publish never
// waits; afterwards the read model fills again, the Put script is sent
// again, and the fan-out subscribes again and asks for a resync.
func TestRedisRestartAndFlushLoseNothing(t *testing.T) {
	t.Parallel()
	srv := startPrivateRedis(t)
	ctx := context.Background()
	store := stack.OpenStore(t, stack.SQLite)
	client := clientAt(t, srv.Addr)
	rm := newReadModel(t, client, redis.ReadModelConfig{})
	fan := newFanout(t, client, redis.FanoutConfig{})
	l := listen(t, fan)
	eng, err := engine.New(engine.Config{Store: store, ReadModel: rm,
		Policy: eligo.DefaultPolicy(), Listeners: []engine.Listener{fan}})
	require.NoError(t, err)

	now := time.Now()
	_, _, err = eng.CreateOrder(ctx, &eligo.NewOrderParams{ID: "ord-1", CustomerID: "cust-1", PromisedAt: now.Add(time.Hour)}, eligo.WhoService)
	require.NoError(t, err)
	driver := func(eventID, status string) {
		t.Helper()
		rs, err := eng.ApplyEvents(ctx, []eligo.Event{{EventID: eventID, OrderID: "ord-1", Type: eligo.EventDriverStatus, Status: status, OccurredAt: time.Now()}})
		require.NoError(t, err)
		require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome, "%+v", rs[0])
	}
	requireVersion := func(v int64) {
		t.Helper()
		octx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		o, err := eng.Order(octx, "ord-1")
		require.NoError(t, err)
		require.Equal(t, v, o.Version)
	}
	driver("ev-1", "ASSIGNED")
	requireVersion(2)
	l.waitVersion(t, "ord-1", 2)

	srv.Kill()
	start := time.Now()
	for i := range 10000 {
		fan.Publish(fmt.Sprintf("ord-x%d", i), 1)
	}
	require.Less(t, time.Since(start), time.Second, "Publish waited on a Redis that is down")
	// Redis is down: a change still commits, and reads fail over to the
	// store at once.
	driver("ev-2", "AT_STORE")
	t0 := time.Now()
	requireVersion(3)
	t.Logf("a read while Redis is down took %v", time.Since(t0))

	srv.Restart(t) // empty, with an empty script cache
	t0 = time.Now()
	// The Put that failed is retried: Redis holds version 3 without
	// anyone reading it.
	key := redis.OrderKey(redis.DefaultPrefix, "ord-1")
	require.Eventually(t, func() bool {
		v, err := client.Do(ctx, client.B().Get().Key(key).Build()).ToString()
		return err == nil && strings.HasPrefix(v, "3:")
	}, 10*time.Second, 10*time.Millisecond, "the failed Put was not retried")
	t.Logf("the failed Put landed %v after the restart", time.Since(t0))
	requireVersion(3)
	l.waitResyncs(t, 2)
	t.Logf("resubscribed %v after the restart", time.Since(t0))
	driver("ev-3", "PICKED_UP")
	requireVersion(4)
	l.waitVersion(t, "ord-1", 4)

	require.NoError(t, client.Do(ctx, client.B().Flushall().Build()).Error())
	requireVersion(4)
	// A read that misses repopulates Redis. (The first read may still hit
	// the cached copy, which the FLUSHALL's invalidation then drops.)
	require.Eventually(t, func() bool {
		if o, err := eng.Order(ctx, "ord-1"); err != nil || o.Version != 4 {
			return false
		}
		n, err := client.Do(ctx, client.B().Exists().Key(key).Build()).AsInt64()
		return err == nil && n == 1
	}, 5*time.Second, 10*time.Millisecond)
	driver("ev-4", "ARRIVED_AT_DOORSTEP")
	requireVersion(5)
	l.waitVersion(t, "ord-1", 5)
}
