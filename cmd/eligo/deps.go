package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/live"
	"github.com/eligo/eligo/internal/tracing"
)

// deps are what `eligo serve` and `eligo worker` run on, built once, in
// this order, by openDeps: the policy, the metrics registry, the backends
// (store, read model, fan-out), the live hub (the API only), the engine
// with its listeners, and River. The two commands differ only in what they
// add around them: the API, ingest and River UI, or a metrics listener.
type deps struct {
	policy    *eligo.Policy
	reg       *prometheus.Registry
	be        *backends
	hub       *live.Hub // nil in a worker
	listeners []engine.Listener
	engine    *engine.Engine
	jobs      *jobs.Runtime
	closeJobs func()
	// policyPoll is how often followPolicy reads the store's current
	// policy.
	policyPoll time.Duration
	// stopTracing flushes the spans not yet exported (tracing.Setup),
	// within flushTimeout (the shutdown timeout).
	stopTracing  func(context.Context) error
	flushTimeout time.Duration
}

// openDeps builds the dependencies of cfg. The policy in force at start is
// the store's current one; when the store holds none, the --policy file or
// the built-in policy, as version 0 (loadPolicy). withAPI builds the live hub and
// a read model that serves reads; without it (a worker), the read model is
// the shared one (Redis) when there is one, else readmodel.None, since
// nobody in the process reads it.
//
// The engine's listeners are the hub, when there is one, and the fan-out
// to the other replicas (Redis), when there is one: an ordinary listener in
// both commands, so a worker's changes reach every replica's subscribers
// the way the API's do.
func openDeps(ctx context.Context, cfg serverConfig, withAPI bool) (*deps, error) {
	policy, err := loadPolicy(cfg.PolicyPath)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	// Outbound events go to the cluster ingest reads, on the same connection.
	cfg.Jobs.Kafka = cfg.Backends.Kafka.conn(cfg.Backends.brokers())
	cfg.Jobs.StopTimeout = cfg.ShutdownTimeout
	if err := cfg.Jobs.load(); err != nil {
		return nil, err
	}
	if err := checkKafka(ctx, cfg, withAPI); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfo())
	be, err := openBackends(ctx, cfg, reg, withAPI)
	if err != nil {
		return nil, err
	}
	stopTracing, err := tracing.Setup(ctx, cfg.OTLPEndpoint)
	if err != nil {
		be.Close()
		return nil, fmt.Errorf("--otlp-endpoint (ELIGO_OTLP_ENDPOINT): %w", err)
	}
	d := &deps{policy: policy, reg: reg, be: be, closeJobs: func() {}, stopTracing: stopTracing, flushTimeout: cfg.ShutdownTimeout, policyPoll: cfg.PolicyPoll}
	var listeners []engine.Listener
	if withAPI {
		if d.hub, err = newHub(cfg.Live, be.hubReadModel, be.fanout, policy, reg, cfg.Logger); err != nil {
			d.Close()
			return nil, err
		}
		listeners = append(listeners, d.hub)
	}
	if be.publisher != nil {
		listeners = append(listeners, be.publisher)
	}
	d.listeners = listeners
	var policyListeners []engine.PolicyListener
	if d.hub != nil {
		policyListeners = append(policyListeners, d.hub)
	}
	d.engine, err = engine.New(engine.Config{
		Listeners:       listeners,
		PolicyListeners: policyListeners,
		PolicyPublisher: be.policyPublisher,
		Store:           be.store,
		ReadModel:       be.readModel,
		Policy:          policy,
		HotGrace:        cfg.HotGrace,
		Logger:          cfg.Logger,
		Registerer:      reg,
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	if err := d.loadPolicy(ctx, cfg); err != nil {
		d.Close()
		return nil, err
	}
	d.jobs, d.closeJobs, err = cfg.Jobs.runtime(be, d.engine, reg, cfg.Logger)
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close closes River's outbound producer and the backends, then flushes
// the spans not yet exported, for up to the shutdown timeout.
func (d *deps) Close() error {
	d.closeJobs()
	err := d.be.Close()
	ctx, cancel := context.WithTimeout(context.Background(), d.flushTimeout)
	defer cancel()
	if terr := d.stopTracing(ctx); terr != nil {
		err = errors.Join(err, fmt.Errorf("flushing traces: %w", terr))
	}
	return err
}
