package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// lazyClient is the client NewClient returns when Redis cannot be reached
// at start: a replica starts without Redis, reads go to the store, and the
// client connects by itself once Redis answers. Until then its calls go to
// a standalone client on the first address, which fails them (and works
// again if a standalone Redis comes back); a goroutine tries a full client
// (standalone or cluster, as rueidis finds out) with backoff, and from then
// on every call goes to that one.
type lazyClient struct {
	placeholder rueidis.Client
	real        atomic.Pointer[realClient]
	mu          sync.Mutex
	onConnect   []func()
	stop        chan struct{}
	done        chan struct{}
	closeOnce   sync.Once
}

type realClient struct{ rueidis.Client }

// errTransition fails a command built, while Redis was away, by the
// standalone builder and run on the cluster client found since: its key's
// slot is unknown. The caller treats it as any Redis failure.
var errTransition = errors.New("redis: the client reconnected as a Redis Cluster; retry")

// noSlot is the slot of a command built by a standalone client's builder.
const noSlot = uint16(1 << 15)

func newLazyClient(opt rueidis.ClientOption, ping func(rueidis.Client) error) (*lazyClient, error) {
	popt := opt
	popt.ForceSingleClient = true
	popt.InitAddress = opt.InitAddress[:1]
	popt.Sentinel = rueidis.SentinelOption{}  // for a Sentinel, the first sentinel stands in
	placeholder, _ := rueidis.NewClient(popt) // a client even when the dial fails
	if placeholder == nil {
		return nil, fmt.Errorf("redis: cannot make a client for %s", opt.InitAddress[0])
	}
	l := &lazyClient{placeholder: placeholder, stop: make(chan struct{}), done: make(chan struct{})}
	go l.connect(opt, ping)
	return l, nil
}

// connect tries a full client every backoff (100ms doubling to 5s) until
// one answers PING or the client is closed.
func (l *lazyClient) connect(opt rueidis.ClientOption, ping func(rueidis.Client) error) {
	defer close(l.done)
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-l.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
		c, err := rueidis.NewClient(opt)
		if err != nil {
			continue
		}
		if ping(c) != nil {
			c.Close()
			continue
		}
		l.real.Store(&realClient{c})
		l.placeholder.Close()
		l.mu.Lock()
		fns := l.onConnect
		l.mu.Unlock()
		for _, fn := range fns {
			fn()
		}
		return
	}
}

// connected reports whether the full client is in use.
func (l *lazyClient) connected() bool { return l.real.Load() != nil }

// notify calls fn once the full client is in use (at once, if it is).
func (l *lazyClient) notify(fn func()) {
	l.mu.Lock()
	if !l.connected() {
		l.onConnect = append(l.onConnect, fn)
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	fn()
}

func (l *lazyClient) get() (c rueidis.Client, cluster bool) {
	if r := l.real.Load(); r != nil {
		return r.Client, r.Mode() == rueidis.ClientModeCluster
	}
	return l.placeholder, false
}

func (l *lazyClient) B() rueidis.Builder { c, _ := l.get(); return c.B() }

func (l *lazyClient) Do(ctx context.Context, cmd rueidis.Completed) rueidis.RedisResult {
	c, cluster := l.get()
	if cluster && cmd.Slot() == noSlot {
		return rueidis.NewErrorResult(errTransition)
	}
	return c.Do(ctx, cmd)
}

func (l *lazyClient) DoMulti(ctx context.Context, multi ...rueidis.Completed) []rueidis.RedisResult {
	c, cluster := l.get()
	if cluster {
		for i := range multi {
			if multi[i].Slot() == noSlot {
				return errResults(len(multi))
			}
		}
	}
	return c.DoMulti(ctx, multi...)
}

func (l *lazyClient) DoCache(ctx context.Context, cmd rueidis.Cacheable, ttl time.Duration) rueidis.RedisResult {
	c, cluster := l.get()
	if cluster && cmd.Slot() == noSlot {
		return rueidis.NewErrorResult(errTransition)
	}
	return c.DoCache(ctx, cmd, ttl)
}

func (l *lazyClient) DoMultiCache(ctx context.Context, multi ...rueidis.CacheableTTL) []rueidis.RedisResult {
	c, cluster := l.get()
	if cluster {
		for i := range multi {
			if multi[i].Cmd.Slot() == noSlot {
				return errResults(len(multi))
			}
		}
	}
	return c.DoMultiCache(ctx, multi...)
}

func errResults(n int) []rueidis.RedisResult {
	rs := make([]rueidis.RedisResult, n)
	for i := range rs {
		rs[i] = rueidis.NewErrorResult(errTransition)
	}
	return rs
}

func (l *lazyClient) DoStream(ctx context.Context, cmd rueidis.Completed) rueidis.RedisResultStream {
	c, _ := l.get()
	return c.DoStream(ctx, cmd)
}

func (l *lazyClient) DoMultiStream(ctx context.Context, multi ...rueidis.Completed) rueidis.MultiRedisResultStream {
	c, _ := l.get()
	return c.DoMultiStream(ctx, multi...)
}

func (l *lazyClient) Receive(ctx context.Context, subscribe rueidis.Completed, fn func(msg rueidis.PubSubMessage)) error {
	c, _ := l.get()
	return c.Receive(ctx, subscribe, fn)
}

func (l *lazyClient) Dedicated(fn func(rueidis.DedicatedClient) error) error {
	c, _ := l.get()
	return c.Dedicated(fn)
}

func (l *lazyClient) Dedicate() (rueidis.DedicatedClient, func()) {
	c, _ := l.get()
	return c.Dedicate()
}

func (l *lazyClient) Nodes() map[string]rueidis.Client {
	c, _ := l.get()
	return c.Nodes()
}

func (l *lazyClient) Mode() rueidis.ClientMode {
	c, _ := l.get()
	return c.Mode()
}

// Close stops connecting and closes the client in use.
func (l *lazyClient) Close() {
	l.closeOnce.Do(func() {
		close(l.stop)
		<-l.done
		if r := l.real.Load(); r != nil {
			r.Close()
		}
		l.placeholder.Close()
	})
}
