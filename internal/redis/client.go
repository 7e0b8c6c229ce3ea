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
	// URL replaces Addr: redis://user:password@host:6379/0, rediss:// for
	// TLS, redis-sentinel:// for a Sentinel (see url.go for the forms).
	URL string
	// CAFile, CertFile and KeyFile are PEM files for a TLS URL: the CA
	// that signed the server's certificate (empty: the system's), and the
	// client's certificate and key for mutual TLS. The URL's ca_file,
	// cert_file and key_file parameters set the same.
	CAFile, CertFile, KeyFile string
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
// Any other failure is a configuration error, returned at once with the
// server (its passwords hidden) and what failed: the credentials (Redis
// answered with an error), the TLS handshake, TLS spoken to a plain
// server or the reverse (see probe).
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
	opt, err := cfg.options()
	if err != nil {
		return nil, err
	}
	opt.ClientName = name
	opt.CacheSizeEachConn = cfg.CacheBytes
	opt.PipelineMultiplex = -1
	// Redis is a cache here: a read that fails is answered from the store
	// at once rather than retried, and a dead or stalled server is given
	// up on within seconds.
	opt.DisableRetry = true
	opt.Dialer = net.Dialer{Timeout: 2 * time.Second, KeepAlive: time.Second}
	opt.ConnWriteTimeout = 3 * time.Second
	if opt.Sentinel.MasterSet != "" {
		opt.Sentinel.Dialer = opt.Dialer
		opt.Sentinel.ClientName = name
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
	if err != nil && unreachable(err) {
		if perr := probe(opt, err); perr != nil {
			err = perr // a configuration error after all
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
	case errors.Is(err, errSpeaksTLS) || errors.Is(err, errSpeaksPlain):
		return nil, fmt.Errorf("redis %s: %w", cfg.server(), err)
	default:
		// One line: rueidis puts the command refused on a line of its own.
		return nil, fmt.Errorf("redis %s: %s: %s", cfg.server(), whatFailed(err), strings.ReplaceAll(err.Error(), "\n", "; "))
	}
}

// unreachable reports whether err says that Redis could not be reached (a
// refused or timed-out connection), as opposed to a Redis that answered
// with an error (wrong credentials, a bad setting): only the first lets a
// replica start without it.
func unreachable(err error) bool {
	if _, ok := rueidis.IsRedisErr(err); ok || tlsFailed(err) {
		return false
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
