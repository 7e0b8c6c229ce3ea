package redis_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/readmodel/readmodeltest"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv/redisserver"
)

// clientFor connects with cfg and closes the client when the test ends.
func clientFor(t *testing.T, cfg redis.ClientConfig) rueidis.Client {
	t.Helper()
	cfg.Name = "eligo-test"
	c, err := redis.NewClient(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// exerciseServer runs the read model suite, and a fan-out round trip
// between two replicas, on the Redis cfg connects to; admin, when set, is
// the connection that deletes keys (the suite's Lose).
func exerciseServer(t *testing.T, cfg redis.ClientConfig, admin ...redis.ClientConfig) {
	t.Helper()
	readmodeltest.Exercise(t, func(t *testing.T) *readmodeltest.Harness {
		prefix := testPrefix()
		c1, c2 := clientFor(t, cfg), clientFor(t, cfg)
		deleter := c1
		if len(admin) > 0 {
			deleter = clientFor(t, admin[0])
		}
		return &readmodeltest.Harness{
			Model: newReadModel(t, c1, redis.ReadModelConfig{Prefix: prefix}),
			Other: newReadModel(t, c2, redis.ReadModelConfig{Prefix: prefix}),
			Lose:  func(t *testing.T) { deletePrefix(t, deleter, prefix) },
		}
	})
	t.Run("Fanout", func(t *testing.T) {
		prefix := testPrefix()
		a := newFanout(t, clientFor(t, cfg), redis.FanoutConfig{Prefix: prefix})
		lb := listen(t, newFanout(t, clientFor(t, cfg), redis.FanoutConfig{Prefix: prefix}))
		for i := range 20 {
			a.Publish(fmt.Sprintf("ord-%d", i), int64(i+1))
		}
		for i := range 20 {
			lb.waitVersion(t, fmt.Sprintf("ord-%d", i), int64(i+1))
		}
	})
}

// connectFails connects with cfg, which must fail at once (a
// configuration error, not an outage), and returns the message.
func connectFails(t *testing.T, cfg redis.ClientConfig, secrets ...string) string {
	t.Helper()
	start := time.Now()
	c, err := redis.NewClient(context.Background(), cfg)
	if err == nil {
		c.Close()
		t.Fatalf("connecting with %+v succeeded; want a configuration error", cfg)
	}
	require.Less(t, time.Since(start), 3*time.Second, "a configuration error stops the start at once")
	for _, s := range secrets {
		require.NotContains(t, err.Error(), s, "a password in the message")
	}
	return err.Error()
}

// eligoACL is the least an ACL user of eligo may do, as docs/production.md
// gives it, for keys and channels under the test prefixes.
const eligoACL = "resetkeys ~eligo-test-* resetchannels &eligo-test-* -@all +@connection +client|tracking +client|caching +multi +exec " +
	"+get +set +del +pttl +evalsha +eval +spublish +ssubscribe +sunsubscribe +cluster|slots +cluster|shards"

// An ACL user (AUTH with a username) with only the rights eligo needs and
// the default user's password both work; wrong or missing credentials, or
// a user without the rights, stop the start with what failed.
func TestRedisWithACLUserAndPassword(t *testing.T) {
	t.Parallel()
	srv := redisserver.Start(t, redisserver.Options{Password: "default-pw", Users: []string{
		"eligo on >eligo-pw " + eligoACL,
		"nocache on >nocache-pw ~* &* +@all -client|tracking",
	}})
	t.Run("ACL user", func(t *testing.T) {
		t.Parallel()
		exerciseServer(t, redis.ClientConfig{URL: "redis://eligo:eligo-pw@" + srv.Addr + "/0"},
			redis.ClientConfig{URL: "redis://:default-pw@" + srv.Addr})
	})
	t.Run("ACL user without client tracking", func(t *testing.T) {
		t.Parallel()
		msg := connectFails(t, redis.ClientConfig{URL: "redis://nocache:nocache-pw@" + srv.Addr}, "nocache-pw")
		require.Contains(t, msg, "the server refused client-side caching (CLIENT TRACKING)")
		require.NotContains(t, msg, "\n")
	})
	t.Run("password alone", func(t *testing.T) {
		t.Parallel()
		c := clientFor(t, redis.ClientConfig{URL: "redis://:default-pw@" + srv.Addr})
		require.NoError(t, c.Do(context.Background(), c.B().Ping().Build()).Error())
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		msg := connectFails(t, redis.ClientConfig{URL: "redis://eligo:wrong-pw@" + srv.Addr}, "wrong-pw")
		require.Contains(t, msg, "redis redis://eligo:xxxxx@"+srv.Addr+": authentication failed: the server refused the user and password of the URL")
		require.Contains(t, msg, "WRONGPASS")
	})
	t.Run("no password", func(t *testing.T) {
		t.Parallel()
		msg := connectFails(t, redis.ClientConfig{Addr: srv.Addr})
		require.Contains(t, msg, "redis "+srv.Addr+": authentication failed: the server requires a password")
	})
}

// Redis over TLS, with a CA made in the test: the suite passes; a client
// that does not trust the CA, or speaks plain text to the TLS port, stops
// at once saying so; mutual TLS needs the client's certificate.
func TestRedisOverTLS(t *testing.T) {
	t.Parallel()
	files := redisserver.NewCA(t)
	srv := redisserver.Start(t, redisserver.Options{TLS: files, Password: "tls-pw"})
	t.Run("ca_file", func(t *testing.T) {
		t.Parallel()
		exerciseServer(t, redis.ClientConfig{URL: "rediss://:tls-pw@" + srv.Addr + "?ca_file=" + files.CA})
	})
	t.Run("untrusted CA", func(t *testing.T) {
		t.Parallel()
		msg := connectFails(t, redis.ClientConfig{URL: "rediss://:tls-pw@" + srv.Addr}, "tls-pw")
		require.Contains(t, msg, "the TLS handshake failed: the server's certificate is not signed by a trusted CA")
	})
	t.Run("plain text to TLS", func(t *testing.T) {
		t.Parallel()
		msg := connectFails(t, redis.ClientConfig{URL: "redis://:tls-pw@" + srv.Addr}, "tls-pw")
		require.Contains(t, msg, "the server speaks TLS only; use a rediss:// URL")
	})
	t.Run("TLS to plain text", func(t *testing.T) {
		t.Parallel()
		plain := redisserver.Start(t, redisserver.Options{})
		msg := connectFails(t, redis.ClientConfig{URL: "rediss://" + plain.Addr, CAFile: files.CA})
		require.Contains(t, msg, "the TLS handshake failed: the server does not speak TLS")
	})
	t.Run("mutual TLS", func(t *testing.T) {
		t.Parallel()
		mtls := redisserver.Start(t, redisserver.Options{TLS: files, ClientCerts: true})
		msg := connectFails(t, redis.ClientConfig{URL: "rediss://" + mtls.Addr, CAFile: files.CA})
		require.Contains(t, msg, "the TLS handshake failed: the server refused this client")
		c := clientFor(t, redis.ClientConfig{URL: "rediss://" + mtls.Addr, CAFile: files.CA, CertFile: files.ClientCert, KeyFile: files.ClientKey})
		m := newReadModel(t, c, redis.ReadModelConfig{Prefix: testPrefix()})
		_, err := m.Put(context.Background(), eligo.Order{ID: "ord-1", CustomerID: "c", Version: 1})
		require.NoError(t, err)
	})
}

// A server that is merely unreachable is an outage, whatever the URL: the
// client starts and connects by itself later.
func TestRedisURLUnreachableIsAnOutage(t *testing.T) {
	t.Parallel()
	files := redisserver.NewCA(t)
	srv := redisserver.Start(t, redisserver.Options{TLS: files, Password: "pw"})
	srv.Kill()
	c := clientFor(t, redis.ClientConfig{URL: "rediss://:pw@" + srv.Addr, CAFile: files.CA})
	require.Error(t, c.Do(context.Background(), c.B().Ping().Build()).Error())
	srv.Restart(t)
	require.Eventually(t, func() bool {
		return c.Do(context.Background(), c.B().Ping().Build()).Error() == nil
	}, 10*time.Second, 10*time.Millisecond, "the client connected by itself over TLS")
}

// A three-master Redis Cluster: the suite passes, the Put script runs on
// every master (the keys of different orders are in different slots), and
// the fan-out's sharded channel reaches every replica.
func TestRedisCluster(t *testing.T) {
	t.Parallel()
	nodes := redisserver.StartCluster(t, 3)
	cfg := redis.ClientConfig{URL: "redis://" + redisserver.Seeds(nodes[:1])}
	exerciseServer(t, cfg)
	c := clientFor(t, cfg)
	require.Equal(t, rueidis.ClientModeCluster, c.Mode())
	m := newReadModel(t, c, redis.ReadModelConfig{Prefix: testPrefix()})
	ctx := context.Background()
	for i := range 30 {
		_, err := m.Put(ctx, eligo.Order{ID: fmt.Sprintf("ord-%d", i), CustomerID: "c", Version: 1})
		require.NoError(t, err)
	}
	require.Len(t, c.Nodes(), 3)
	for addr, node := range c.Nodes() {
		n, err := node.Do(ctx, node.B().Dbsize().Build()).AsInt64()
		require.NoError(t, err)
		require.Positive(t, n, "the master %s holds none of the orders", addr)
	}
}

// Redis Sentinel: the client asks the sentinel for the master and uses
// it, and the suite passes through it; a sentinel that is unreachable at
// start is an outage, which ends when it answers.
func TestRedisSentinel(t *testing.T) {
	t.Parallel()
	master := redisserver.Start(t, redisserver.Options{Password: "master-pw"})
	sentinel := redisserver.StartSentinel(t, master, "eligo-master")
	cfg := redis.ClientConfig{URL: "redis-sentinel://:master-pw@" + sentinel.Addr + "/eligo-master"}
	exerciseServer(t, cfg)
	c := clientFor(t, cfg)
	require.Equal(t, rueidis.ClientModeSentinel, c.Mode())
	prefix := testPrefix()
	m := newReadModel(t, c, redis.ReadModelConfig{Prefix: prefix})
	ctx := context.Background()
	_, err := m.Put(ctx, eligo.Order{ID: "ord-1", CustomerID: "c", Version: 3})
	require.NoError(t, err)
	direct := clientFor(t, redis.ClientConfig{URL: "redis://:master-pw@" + master.Addr})
	v, err := direct.Do(ctx, direct.B().Get().Key(redis.OrderKey(prefix, "ord-1")).Build()).ToString()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(v, "3:"), "the order is on the master: %q", v)

	sentinel.Kill()
	late := clientFor(t, cfg)
	sentinel.Restart(t)
	require.Eventually(t, func() bool {
		return late.Do(ctx, late.B().Get().Key(redis.OrderKey(prefix, "ord-1")).Build()).Error() == nil
	}, 10*time.Second, 10*time.Millisecond, "the client found the master once the sentinel answered")
	require.Equal(t, rueidis.ClientModeSentinel, late.Mode())
}
