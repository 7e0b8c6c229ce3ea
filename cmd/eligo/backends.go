package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/live"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/sqlite"
)

// backends are the engines behind one eligo process: the system of record
// and the read model, and the long-running parts they bring (the Kafka
// consumer). The embedded default is SQLite, an in-process map and HTTP
// ingest only; each production engine is used when it is configured.
type backends struct {
	store              eligo.OrderStore
	readModel          eligo.ReadModel
	readModelIsPartial bool
	// hubReadModel is what the live hub reads snapshots from (readModel
	// when nil); fanout carries changes between replicas (nil: this
	// process only); publisher tells the other replicas about the changes
	// of a process without a hub (eligo worker). Set by openRedis.
	hubReadModel eligo.ReadModel
	fanout       live.Fanout
	publisher    engine.Listener
	// jobs builds River on the store's database (see jobsConfig.runtime).
	jobs func(*jobs.RuntimeConfig) (*jobs.Runtime, error)
	// parts run under Serve's errgroup until its context ends; startIngest
	// adds the Kafka consumer.
	parts   []func(context.Context) error
	cfg     backendConfig
	closers []func() error // closed in reverse order
}

// backendConfig names the production engines; empty parts fall back to the
// embedded ones.
type backendConfig struct {
	PostgresURL  string        // empty: the SQLite file in the data directory
	Migrate      bool          // apply pending PostgreSQL migrations at start
	StoreTimeout time.Duration // deadline of every store call
	RedisAddr    string        // empty: the read model and the fan-out are in-process
	KafkaBrokers string        // comma-separated; empty: events arrive over HTTP only
	KafkaTopic   string
	KafkaGroup   string
	// KafkaSessionTimeout is how long the group waits for a replica that
	// stopped heartbeating (a crash) before giving its partitions to the
	// others.
	KafkaSessionTimeout time.Duration
	// RedisPrefix starts every Redis key and channel: deployments that
	// share a Redis differ by it.
	RedisPrefix string
}

// backendFlags declares the flags of the production backends: the store
// always, Kafka ingest when withIngest (serve).
func backendFlags(fs *flag.FlagSet, getenv func(string) string, withIngest bool) *backendConfig {
	c := &backendConfig{}
	fs.StringVar(&c.PostgresURL, "postgres-url", getenv("ELIGO_POSTGRES_URL"), "PostgreSQL as the system of record, e.g. postgres://eligo@db:5432/eligo; empty means the embedded SQLite file (env ELIGO_POSTGRES_URL)")
	fs.StringVar(&c.RedisAddr, "redis-addr", getenv("ELIGO_REDIS_ADDR"), "Redis (host:port, or comma-separated Redis Cluster seeds) as the shared read model and the fan-out between replicas; empty means both in-process, for one replica (env ELIGO_REDIS_ADDR)")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", envOr(getenv, "ELIGO_REDIS_PREFIX", redis.DefaultPrefix), "prefix of every Redis key and channel; deployments sharing one Redis need different ones (env ELIGO_REDIS_PREFIX)")
	fs.DurationVar(&c.StoreTimeout, "store-timeout", eligo.DefaultStoreTimeout, "deadline of every call to the system of record (statement_timeout and lock_timeout on PostgreSQL, busy_timeout on SQLite); past it a write answers 503 with Retry-After and /readyz turns false (env ELIGO_STORE_TIMEOUT)")
	fs.BoolVar(&c.Migrate, "migrate", true, "apply pending PostgreSQL migrations at start; with false, start only if `eligo migrate` has applied them (env ELIGO_MIGRATE)")
	if withIngest {
		fs.StringVar(&c.KafkaBrokers, "kafka-brokers", getenv("ELIGO_KAFKA_BROKERS"), "Kafka seed brokers, comma-separated, to consume fulfillment events from (and publish outbound events to); empty means events arrive over HTTP only (env ELIGO_KAFKA_BROKERS)")
		fs.StringVar(&c.KafkaTopic, "kafka-topic", envOr(getenv, "ELIGO_KAFKA_TOPIC", kafka.DefaultTopic), "Kafka topic of fulfillment events; dead letters go to TOPIC"+kafka.DeadLetterSuffix+" (env ELIGO_KAFKA_TOPIC)")
		fs.StringVar(&c.KafkaGroup, "kafka-group", envOr(getenv, "ELIGO_KAFKA_GROUP", kafka.DefaultGroup), "Kafka consumer group; replicas share one (env ELIGO_KAFKA_GROUP)")
		fs.DurationVar(&c.KafkaSessionTimeout, "kafka-session-timeout", 45*time.Second, "how long the consumer group waits for a replica that stopped (crashed) before its partitions move to the others; the broker bounds it (env ELIGO_KAFKA_SESSION_TIMEOUT)")
	}
	return c
}

// backendEnvFlags are the flags of backendFlags that flagsFromEnv sets from
// the environment.
var backendEnvFlags = map[string]string{"migrate": "ELIGO_MIGRATE", "kafka-session-timeout": "ELIGO_KAFKA_SESSION_TIMEOUT", "store-timeout": "ELIGO_STORE_TIMEOUT"}

// brokers returns the Kafka seed brokers.
func (c *backendConfig) brokers() []string { return splitList(c.KafkaBrokers) }

func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// openBackends opens what the configuration names and logs which backend
// serves what.
func openBackends(ctx context.Context, cfg serverConfig, reg prometheus.Registerer) (*backends, error) {
	be := &backends{cfg: cfg.Backends}
	enq, err := cfg.Jobs.enqueuer()
	if err != nil {
		return nil, err
	}
	var storeName string
	if cfg.Backends.PostgresURL != "" {
		storeName, err = be.openPostgres(ctx, cfg, enq)
	} else {
		storeName, err = be.openSQLite(ctx, cfg, enq)
	}
	if err != nil {
		be.Close()
		return nil, err
	}
	readModelName, fanoutName := "memory", "in-process"
	if cfg.Backends.RedisAddr != "" {
		if readModelName, fanoutName, err = be.openRedis(ctx, cfg, reg); err != nil {
			be.Close()
			return nil, err
		}
	} else {
		be.readModel = readmodel.NewMemory()
	}
	if be.hubReadModel == nil {
		be.hubReadModel = be.readModel
	}
	ingest := "http"
	if bs := cfg.Backends.brokers(); len(bs) > 0 {
		ingest = fmt.Sprintf("http and kafka (brokers %s, topic %s, group %s)", strings.Join(bs, ","), cfg.Backends.KafkaTopic, cfg.Backends.KafkaGroup)
	}
	cfg.Logger.Info("backends", "store", storeName, "read_model", readModelName, "fanout", fanoutName, "ingest", ingest)
	if cfg.Backends.PostgresURL != "" && cfg.Backends.RedisAddr == "" {
		cfg.Logger.Warn("the read model and the live fan-out are in-process: run one replica on this PostgreSQL " +
			"until a shared read model (Redis) is configured, or each replica misses the others' changes")
	}
	return be, nil
}

// openSQLite opens the embedded store and River on its file.
func (be *backends) openSQLite(ctx context.Context, cfg serverConfig, enq *jobs.Enqueuer) (string, error) {
	path := filepath.Join(cfg.DataDir, "eligo.db")
	// The hook inserts jobs through the store's transaction; its client
	// needs no pool of its own.
	ins, err := jobs.NewClient(riversqlite.New(nil), &jobs.ClientConfig{})
	if err != nil {
		return "", err
	}
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Build: buildVersion(), Logger: cfg.Logger, Jobs: jobs.Hook(ins, enq),
		Timeout: cfg.Backends.StoreTimeout})
	if err != nil {
		return "", err
	}
	be.store = store
	be.jobs = func(rc *jobs.RuntimeConfig) (*jobs.Runtime, error) {
		return jobs.NewRuntime(riversqlite.New(store.DB()), rc)
	}
	be.closers = append(be.closers, store.Close)
	return "sqlite " + path, nil
}

// openPostgres opens the PostgreSQL store and River on its pool, applying
// the pending migrations first when cfg.Backends.Migrate is set, else
// refusing to start on a schema that is behind.
func (be *backends) openPostgres(ctx context.Context, cfg serverConfig, enq *jobs.Enqueuer) (string, error) {
	// The hook inserts jobs through the store's transaction.
	ins, err := jobs.NewClient(riverpgxv5.New(nil), &jobs.ClientConfig{})
	if err != nil {
		return "", err
	}
	store, err := postgres.Open(ctx, &postgres.Config{
		URL: cfg.Backends.PostgresURL, Build: buildVersion(), Logger: cfg.Logger,
		Jobs: jobs.Hook(ins, enq), Timeout: cfg.Backends.StoreTimeout,
	})
	if err != nil {
		return "", err
	}
	be.store = store
	be.closers = append(be.closers, store.Close)
	if cfg.Backends.Migrate {
		if _, err := migratePostgres(ctx, store, cfg.Logger); err != nil {
			return "", err
		}
	} else if pending, err := pendingPostgres(ctx, store, cfg.Logger); err != nil {
		return "", err
	} else if len(pending) > 0 {
		return "", fmt.Errorf("the PostgreSQL schema is behind this build (pending: %s); run `eligo migrate` first, or start with --migrate", strings.Join(pending, ", "))
	}
	be.jobs = func(rc *jobs.RuntimeConfig) (*jobs.Runtime, error) {
		return jobs.NewRuntime(riverpgxv5.New(store.Pool()), rc)
	}
	return "postgres " + postgres.Redact(cfg.Backends.PostgresURL), nil
}

// startIngest adds the Kafka consumer to the long-running parts, when
// brokers are configured. It applies events through eng, so the read model
// and live subscribers move forward after each batch commits.
func (be *backends) startIngest(eng *engine.Engine, reg prometheus.Registerer, log *slog.Logger) error {
	bs := be.cfg.brokers()
	if len(bs) == 0 {
		return nil
	}
	c, err := kafka.New(kafka.Config{
		Brokers: bs, Topic: be.cfg.KafkaTopic, Group: be.cfg.KafkaGroup,
		ClientOpts: []kgo.Opt{kgo.SessionTimeout(be.cfg.KafkaSessionTimeout),
			kgo.HeartbeatInterval(min(3*time.Second, be.cfg.KafkaSessionTimeout/3))},
		Applier: eng, Logger: log, Registerer: reg,
	})
	if err != nil {
		return err
	}
	be.parts = append(be.parts, c.Run)
	be.closers = append(be.closers, func() error { c.Close(); return nil })
	return nil
}

// Close closes every backend, the last opened first.
func (be *backends) Close() error {
	var errs []error
	for i := len(be.closers) - 1; i >= 0; i-- {
		errs = append(errs, be.closers[i]())
	}
	return errors.Join(errs...)
}
