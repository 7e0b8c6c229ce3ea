package main

import (
	"context"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo/internal/redis"
)

// openRedis makes Redis the read model and the fan-out between replicas:
// reads through the client-side cache, a miss answered by the store and
// put back (the model is Partial), and change notices published to, and
// received from, every replica on the same Redis. The hub reads snapshots
// through the model's Fresh view, which never serves a notice an older
// cached copy. It returns the names the startup log gives the two.
func (be *backends) openRedis(ctx context.Context, cfg serverConfig, reg prometheus.Registerer) (readModel, fanout string, err error) {
	addr := cfg.Backends.RedisAddr
	host, _ := os.Hostname()
	client, err := redis.NewClient(ctx, redis.ClientConfig{Addr: addr, Name: "eligo@" + host})
	if err != nil {
		return "", "", err
	}
	be.closers = append(be.closers, func() error { client.Close(); return nil })
	rm := redis.NewReadModel(client, &redis.ReadModelConfig{Prefix: cfg.Backends.RedisPrefix, Registerer: reg})
	be.closers = append(be.closers, rm.Close)
	fan := redis.NewFanout(client, &redis.FanoutConfig{Prefix: cfg.Backends.RedisPrefix, Logger: cfg.Logger, Registerer: reg})
	// Closed before the client: it publishes what is still queued.
	be.closers = append(be.closers, fan.Close)
	be.readModel = rm
	be.hubReadModel = rm.Fresh(be.store)
	be.fanout = fan
	be.publisher = fan
	return "redis " + addr + " (client-side cache)", "redis " + addr + " (sharded pub/sub)", nil
}
