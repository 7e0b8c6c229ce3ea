package main

import (
	"context"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/tracing"
)

// openRedis makes Redis the read model and the fan-out between replicas:
// reads through the client-side cache, a miss answered by the store and
// put back while the order is hot, and change notices published to, and
// received from, every replica on the same Redis. The hub reads snapshots
// through the model's Fresh view, which never serves a notice an older
// cached copy. It returns the names the startup log gives the two.
func (be *backends) openRedis(ctx context.Context, cfg serverConfig, reg prometheus.Registerer) (readModel, fanout string, err error) {
	rc, _ := cfg.Backends.redis()
	host, _ := os.Hostname()
	rc.Name = "eligo@" + host
	addr := rc.Addr
	if rc.URL != "" {
		addr = redis.Redact(rc.URL)
	}
	client, err := redis.NewClient(ctx, rc)
	if err != nil {
		return "", "", err
	}
	be.closers = append(be.closers, func() error { client.Close(); return nil })
	// Every command that leaves the process is timed and its failures
	// counted (eligo_redis_command_*), at zero from the start.
	if client, err = redis.Measured(client, reg); err != nil {
		return "", "", err
	}
	if tracing.Enabled(cfg.OTLPEndpoint, os.Getenv) {
		client = redis.Traced(client) // off, Redis calls pay nothing for it
	}
	// An unreachable Redis does not stop the start: the client connects
	// by itself, and meanwhile reads go to the store (be.degraded).
	rm, err := redis.NewReadModel(client, &redis.ReadModelConfig{Prefix: cfg.Backends.RedisPrefix, Grace: cfg.HotGrace, Registerer: reg, Logger: cfg.Logger})
	if err != nil {
		return "", "", err
	}
	be.closers = append(be.closers, rm.Close)
	fan, err := redis.NewFanout(client, &redis.FanoutConfig{Prefix: cfg.Backends.RedisPrefix, Logger: cfg.Logger, Registerer: reg})
	if err != nil {
		return "", "", err
	}
	// Closed before the client: it publishes what is still queued.
	be.closers = append(be.closers, fan.Close)
	be.readModel = rm
	be.hubReadModel = rm.Fresh(be.store)
	be.repairMark = redis.NewRepairMark(client, cfg.Backends.RedisPrefix)
	be.degraded = rm.Degraded
	be.fanout = fan
	be.publisher = fan
	be.policyPublisher = fan
	be.listenPolicy = fan.ListenPolicy
	return "redis " + addr + " (client-side cache)", "redis " + addr + " (sharded pub/sub)", nil
}

// startRepair adds the read-model repair to the long-running parts when
// the model is Redis: it tails the store's committed changes and publishes
// those a writer that died between its commit and its publish left out
// (engine.Repair). The in-process model needs none: it is rebuilt at start.
func (be *backends) startRepair(eng *engine.Engine) {
	if be.repairMark == nil {
		return
	}
	be.parts = append(be.parts, func(ctx context.Context) error {
		return eng.Repair(ctx, engine.RepairConfig{Mark: be.repairMark})
	})
}
