package redis_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/live"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
)

var _ live.ResyncFanout = (*redis.Fanout)(nil)

// listener records what a Fanout delivers.
type listener struct {
	mu      sync.Mutex
	latest  map[string]int64
	resyncs int
}

// listen runs f.ListenResync until the test ends and waits for the first
// subscription.
func listen(t *testing.T, f *redis.Fanout) *listener {
	t.Helper()
	l := &listener{latest: map[string]int64{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- f.ListenResync(ctx, func(id string, v int64) {
			l.mu.Lock()
			l.latest[id] = max(l.latest[id], v)
			l.mu.Unlock()
		}, func() {
			l.mu.Lock()
			l.resyncs++
			l.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	l.waitResyncs(t, 1)
	return l
}

func (l *listener) version(id string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.latest[id]
}

func (l *listener) resyncCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.resyncs
}

func (l *listener) waitVersion(t *testing.T, id string, v int64) {
	t.Helper()
	require.Eventually(t, func() bool { return l.version(id) == v }, 5*time.Second, time.Millisecond, "%s never reached version %d (at %d)", id, v, l.version(id))
}

func (l *listener) waitResyncs(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return l.resyncCount() >= n }, 10*time.Second, time.Millisecond, "want %d resyncs, got %d", n, l.resyncCount())
}

func newFanout(t *testing.T, c rueidis.Client, cfg redis.FanoutConfig) *redis.Fanout {
	t.Helper()
	f, err := redis.NewFanout(c, &cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, f.Close()) })
	return f
}

// A notice published on one replica reaches the listeners of every
// replica, its own included.
func TestFanoutReachesEveryReplica(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	a := newFanout(t, newClient(t), redis.FanoutConfig{Prefix: prefix})
	b := newFanout(t, newClient(t), redis.FanoutConfig{Prefix: prefix})
	la, lb := listen(t, a), listen(t, b)
	other := listen(t, newFanout(t, newClient(t), redis.FanoutConfig{Prefix: testPrefix()}))

	a.Publish("ord-1", 2)
	b.Publish("ord-2", 7)
	for _, l := range []*listener{la, lb} {
		l.waitVersion(t, "ord-1", 2)
		l.waitVersion(t, "ord-2", 7)
	}
	require.Zero(t, other.version("ord-1"), "another deployment's prefix must not hear it")
}

// Many versions of one order in a burst arrive as the newest; ids with any
// printable characters survive.
func TestFanoutBurstEndsAtNewest(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	reg := prometheus.NewRegistry()
	a := newFanout(t, newClient(t), redis.FanoutConfig{Prefix: prefix, Registerer: reg})
	lb := listen(t, newFanout(t, newClient(t), redis.FanoutConfig{Prefix: prefix}))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for v := int64(1); v <= 2000; v++ {
				a.Publish(fmt.Sprintf("ord-{%d}:*", g), v)
			}
		})
	}
	wg.Wait()
	for g := range 4 {
		lb.waitVersion(t, fmt.Sprintf("ord-{%d}:*", g), 2000)
	}
}

// A listener whose connection is cut subscribes again by itself and asks
// for a resync, since notices sent meanwhile are lost.
func TestFanoutResubscribesAfterDisconnect(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	name := "eligo-test-" + prefix
	ctx := context.Background()
	sub, err := redis.NewClient(ctx, redis.ClientConfig{Addr: testenv.RedisAddr(t), Name: name})
	require.NoError(t, err)
	t.Cleanup(sub.Close)
	pub := newFanout(t, newClient(t), redis.FanoutConfig{Prefix: prefix})
	l := listen(t, newFanout(t, sub, redis.FanoutConfig{Prefix: prefix}))

	killClients(t, newClient(t), name)
	l.waitResyncs(t, 2)
	pub.Publish("ord-1", 3)
	l.waitVersion(t, "ord-1", 3)
}

// killClients closes, from the server's side, every connection named name.
func killClients(t *testing.T, c rueidis.Client, name string) {
	t.Helper()
	ctx := context.Background()
	list, err := c.Do(ctx, c.B().ClientList().Build()).ToString()
	require.NoError(t, err)
	killed := 0
	for line := range strings.Lines(strings.TrimPrefix(list, "txt:")) {
		fields := map[string]string{}
		for f := range strings.FieldsSeq(line) {
			k, v, _ := strings.Cut(f, "=")
			fields[k] = v
		}
		if fields["name"] == name {
			id, err := strconv.ParseInt(fields["id"], 10, 64)
			require.NoError(t, err)
			require.NoError(t, c.Do(ctx, c.B().ClientKill().Id(id).Build()).Error())
			killed++
		}
	}
	require.NotZero(t, killed, "no connection named %s", name)
}
