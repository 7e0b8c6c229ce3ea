package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/redis/rueidis"
)

// ClientConfig says how to reach Redis.
type ClientConfig struct {
	// Addr is host:port of a standalone Redis, or a comma-separated list of
	// seed nodes of a Redis Cluster (the client finds out which).
	Addr string
	// Name is sent with CLIENT SETNAME, so that CLIENT LIST shows which
	// replica holds a connection; empty means "eligo".
	Name string
	// CacheBytes bounds the client-side cache; zero means rueidis's default
	// (128 MiB).
	CacheBytes int
}

// NewClient connects to Redis with server-assisted client-side caching
// (RESP3, CLIENT TRACKING in opt-in mode) and checks that the server
// answers. Close the client when done.
//
// When Redis cannot be reached (refused, timed out), NewClient still
// returns a client, which fails its calls and connects by itself in the
// background once Redis answers; a ReadModel on it says so in Degraded.
// Any other failure (Redis answered with an error) is returned.
//
// Each Redis node gets one pipelined connection (PipelineMultiplex -1) so
// that a Put and the invalidation it causes travel on the connection whose
// cache they concern: see ReadModel.Put. Subscriptions use connections of
// their own.
func NewClient(ctx context.Context, cfg ClientConfig) (rueidis.Client, error) {
	name := cfg.Name
	if name == "" {
		name = "eligo"
	}
	var addrs []string
	for a := range strings.SplitSeq(cfg.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("redis: no address given; expected host:port")
	}
	opt := rueidis.ClientOption{
		InitAddress:       addrs,
		ClientName:        name,
		CacheSizeEachConn: cfg.CacheBytes,
		PipelineMultiplex: -1,
		// Redis is a cache here: a read that fails is answered from the
		// store at once rather than retried, and a dead or stalled server
		// is given up on within seconds.
		DisableRetry:     true,
		Dialer:           net.Dialer{Timeout: 2 * time.Second, KeepAlive: time.Second},
		ConnWriteTimeout: 3 * time.Second,
	}
	ping := func(c rueidis.Client) error {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return c.Do(pctx, c.B().Ping().Build()).Error()
	}
	client, err := rueidis.NewClient(opt)
	if err == nil {
		if err = ping(client); err != nil {
			client.Close()
		}
	}
	switch {
	case err == nil:
		return client, nil
	case unreachable(err):
		// Start without Redis: the read model fails over to the store
		// and says it is degraded (ReadModel.Degraded) until this
		// client connects by itself.
		ping = func(c rueidis.Client) error {
			pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return c.Do(pctx, c.B().Ping().Build()).Error()
		}
		return newLazyClient(opt, ping)
	default:
		return nil, fmt.Errorf("redis: connecting to %s: %w", cfg.Addr, err)
	}
}

// unreachable reports whether err says that Redis could not be reached (a
// refused or timed-out connection), as opposed to a Redis that answered
// with an error (wrong credentials, a bad setting): only the first lets a
// replica start without it.
func unreachable(err error) bool {
	if _, ok := rueidis.IsRedisErr(err); ok {
		return false
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
