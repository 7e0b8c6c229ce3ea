package redis_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
)

var _ engine.PolicyPublisher = (*redis.Fanout)(nil)

// listenPolicy runs f.ListenPolicy until the test ends and returns the
// count of notices it delivered, after the first (the subscription's).
func listenPolicy(t *testing.T, f *redis.Fanout) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.ListenPolicy(ctx, func() { n.Add(1) }) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.Eventually(t, func() bool { return n.Load() >= 1 }, 10*time.Second, time.Millisecond, "subscribing counts as a notice")
	return &n
}

// A policy notice published by one replica reaches every replica of the
// deployment, and only those; order notices do not count as one, nor a
// policy notice as an order notice.
func TestPolicyNoticeReachesEveryReplica(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	a := newFanout(t, newClient(t), redis.FanoutConfig{Prefix: prefix})
	b := newFanout(t, newClient(t), redis.FanoutConfig{Prefix: prefix})
	na, nb := listenPolicy(t, a), listenPolicy(t, b)
	other := listenPolicy(t, newFanout(t, newClient(t), redis.FanoutConfig{Prefix: testPrefix()}))
	orders := listen(t, b)

	a.PublishPolicy(context.Background(), 3)
	require.Eventually(t, func() bool { return na.Load() == 2 && nb.Load() == 2 }, 5*time.Second, time.Millisecond)

	a.Publish("ord-1", 4)
	orders.waitVersion(t, "ord-1", 4)
	require.EqualValues(t, 2, nb.Load(), "an order notice is not a policy notice")
	require.EqualValues(t, 1, other.Load(), "another deployment's prefix must not hear it")
	orders.mu.Lock()
	defer orders.mu.Unlock()
	require.Equal(t, map[string]int64{"ord-1": 4}, orders.latest, "a policy notice is not an order notice")
}

// A listener whose connection is cut subscribes again, and the new
// subscription counts as a notice: one published meanwhile is not lost.
func TestPolicyNoticeAfterDisconnect(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	name := "eligo-test-" + prefix
	sub, err := redis.NewClient(context.Background(), redis.ClientConfig{Addr: testenv.RedisAddr(t), Name: name})
	require.NoError(t, err)
	t.Cleanup(sub.Close)
	n := listenPolicy(t, newFanout(t, sub, redis.FanoutConfig{Prefix: prefix}))
	killClients(t, newClient(t), name)
	require.Eventually(t, func() bool { return n.Load() >= 2 }, 10*time.Second, time.Millisecond)
}
