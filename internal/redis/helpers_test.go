package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
)

// newClient connects to the test Redis (ELIGO_TEST_REDIS_ADDR) and closes
// the client when the test ends.
func newClient(t testing.TB) rueidis.Client {
	t.Helper()
	return clientAt(t, testenv.RedisAddr(t))
}

func clientAt(t testing.TB, addr string) rueidis.Client {
	t.Helper()
	c, err := redis.NewClient(context.Background(), redis.ClientConfig{Addr: addr, Name: "eligo-test"})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// testPrefix returns a key prefix no other test uses, so that tests share
// the server without sharing keys.
func testPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "eligo-test-" + hex.EncodeToString(b[:])
}

// deletePrefix deletes every key under prefix, as losing them would; on a
// Redis Cluster, on every node.
func deletePrefix(t testing.TB, c rueidis.Client, prefix string) {
	t.Helper()
	ctx := context.Background()
	for _, node := range c.Nodes() {
		var cursor uint64
		for {
			e, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(prefix+":*").Count(1000).Build()).AsScanEntry()
			require.NoError(t, err)
			for _, key := range e.Elements {
				require.NoError(t, c.Do(ctx, c.B().Unlink().Key(key).Build()).Error())
			}
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
}

// newReadModel returns a read model on c, closed when the test ends.
func newReadModel(t testing.TB, c rueidis.Client, cfg redis.ReadModelConfig) *redis.ReadModel {
	t.Helper()
	m, err := redis.NewReadModel(c, &cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}
