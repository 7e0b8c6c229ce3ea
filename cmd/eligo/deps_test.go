package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/live"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
)

// depsFor builds the dependencies of cmd ("serve" or "worker") from its
// flags, as the command does.
func depsFor(t *testing.T, cmd string, env map[string]string) *deps {
	t.Helper()
	var cfg serverConfig
	f := newFlagSet(cmd)
	if cmd == "serve" {
		cfg.serveFlags(f)
	} else {
		cfg.workerFlags(f)
	}
	require.NoError(t, f.parse([]string{"--data-dir", t.TempDir()}, testEnv(env), io.Discard, ""))
	cfg.Logger = slog.New(slog.DiscardHandler)
	if cmd == "worker" {
		cfg.Jobs.Workers = true
	}
	d, err := openDeps(context.Background(), cfg, cmd == "serve")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

// A worker on the embedded backends keeps no read model: nobody in it
// reads one, and its engine reads the store.
func TestDepsWorkerKeepsNoReadModel(t *testing.T) {
	t.Parallel()
	w := depsFor(t, "worker", nil)
	require.IsType(t, readmodel.None{}, w.be.readModel)
	require.Nil(t, w.hub)
	require.Empty(t, w.listeners)

	s := depsFor(t, "serve", nil)
	require.IsType(t, &readmodel.Memory{}, s.be.readModel)
	require.NotNil(t, s.hub)
	require.Equal(t, []engine.Listener{s.hub}, s.listeners)
}

// With Redis, the fan-out to the other replicas is an engine listener of
// its own in both commands; the hub only pushes to this process's streams.
func TestDepsFanoutIsAnEngineListener(t *testing.T) {
	t.Parallel()
	var b [4]byte
	_, _ = rand.Read(b[:])
	env := map[string]string{"ELIGO_REDIS_ADDR": testenv.RedisAddr(t), "ELIGO_REDIS_PREFIX": "eligo-test-" + hex.EncodeToString(b[:])}
	for _, cmd := range []string{"serve", "worker"} {
		d := depsFor(t, cmd, env)
		require.IsType(t, &redis.ReadModel{}, d.be.readModel, cmd)
		var fanouts int
		for _, l := range d.listeners {
			switch l.(type) {
			case *redis.Fanout:
				fanouts++
			case *live.Hub:
				require.Equal(t, "serve", cmd)
			default:
				t.Fatalf("%s: unexpected listener %T", cmd, l)
			}
		}
		require.Equal(t, 1, fanouts, cmd)
	}
}
