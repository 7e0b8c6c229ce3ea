package redis

import (
	"context"
	"fmt"
	"net"
	"strings"
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
	client, err := rueidis.NewClient(rueidis.ClientOption{
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
	})
	if err != nil {
		return nil, fmt.Errorf("redis: connecting to %s: %w", cfg.Addr, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Do(pctx, client.B().Ping().Build()).Error(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redis: %s does not answer PING: %w", cfg.Addr, err)
	}
	return client, nil
}
