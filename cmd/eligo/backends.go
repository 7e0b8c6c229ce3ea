package main

import (
	"context"
	"errors"
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
	store     eligo.OrderStore
	readModel eligo.ReadModel
	// hot is readModel when it is the in-process hot set, which is rebuilt
	// at start and swept as long as Serve runs; nil otherwise.
	hot *readmodel.Memory
	// hubReadModel is what the live hub reads snapshots from (readModel
	// when nil); fanout brings the hub the other replicas' changes (nil:
	// this process only); publisher, an engine listener, tells the other
	// replicas about this process's changes. Set by openRedis.
	hubReadModel eligo.ReadModel
	fanout       live.Fanout
	publisher    engine.Listener
	// policyPublisher tells the other replicas of a policy applied here,
	// and listenPolicy hears theirs (see policy.go); both nil without
	// Redis, where this process is the only one.
	policyPublisher engine.PolicyPublisher
	listenPolicy    func(ctx context.Context, notice func()) error
	// degraded says what is away (Redis), for /readyz; nil: nothing can be.
	degraded func() string
	// repairMark is where the read-model repair resumes (Redis); nil: no
	// repair (the in-process model is rebuilt at start).
	repairMark engine.RepairMark
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
	// RedisURL replaces RedisAddr: redis://, rediss:// (TLS) or
	// redis-sentinel://, with credentials; RedisCAFile, RedisCertFile and
	// RedisKeyFile are its TLS files.
	RedisURL, RedisCAFile, RedisCertFile, RedisKeyFile string
	// Kafka is the brokers' TLS and SASL, shared by every Kafka client.
	Kafka kafkaConnConfig
}

// flags declares the flags of the production backends into c: the store,
// the read model and Kafka's brokers always, the ingest's topic and group
// when withIngest (serve).
func (c *backendConfig) flags(f *flagSet, withIngest bool) {
	f.String(&c.PostgresURL, "postgres-url", "", "PostgreSQL as the system of record, e.g. postgres://eligo@db:5432/eligo; empty means the embedded SQLite file")
	f.Bool(&c.Migrate, "migrate", true, "apply pending PostgreSQL migrations at start; with false, start only if \"eligo migrate\" has applied them")
	f.String(&c.RedisAddr, "redis-addr", "", "Redis (host:port, or comma-separated Redis Cluster seeds) as the shared read model and the fan-out between replicas; empty means both in-process, for one replica")
	f.String(&c.RedisURL, "redis-url", "", "Redis as a URL, replacing --redis-addr: redis://user:password@host:6379/0, rediss:// for TLS, "+
		"redis-sentinel://sentinel:26379/master for Sentinel, several hosts (host1,host2) for Cluster seeds; prefer the variable, which keeps the password off the command line")
	f.String(&c.RedisCAFile, "redis-ca-file", "", "PEM file of the CA that signed the Redis server's certificate (rediss://); empty means the system's CAs")
	f.String(&c.RedisCertFile, "redis-cert-file", "", "PEM file of the client certificate for Redis mutual TLS (with --redis-key-file)")
	f.String(&c.RedisKeyFile, "redis-key-file", "", "PEM file of the private key of --redis-cert-file")
	f.String(&c.RedisPrefix, "redis-prefix", redis.DefaultPrefix, "prefix of every Redis key and channel; deployments sharing one Redis need different ones")
	f.Duration(&c.StoreTimeout, "store-timeout", eligo.DefaultStoreTimeout, time.Millisecond, "deadline of every call to the system of record (statement_timeout and lock_timeout on PostgreSQL, busy_timeout on SQLite); past it a write answers 503 with Retry-After and /readyz turns false")
	if !withIngest {
		f.String(&c.KafkaBrokers, "kafka-brokers", "", "Kafka seed brokers, comma-separated, to publish outbound events to; empty means none")
		c.Kafka.flags(f)
		return
	}
	f.String(&c.KafkaBrokers, "kafka-brokers", "", "Kafka seed brokers, comma-separated, to consume fulfillment events from (and publish outbound events to); empty means events arrive over HTTP only")
	f.String(&c.KafkaTopic, "kafka-topic", kafka.DefaultTopic, "Kafka topic of fulfillment events; dead letters go to TOPIC"+kafka.DeadLetterSuffix)
	f.String(&c.KafkaGroup, "kafka-group", kafka.DefaultGroup, "Kafka consumer group; replicas share one")
	f.Duration(&c.KafkaSessionTimeout, "kafka-session-timeout", 45*time.Second, time.Second, "how long the consumer group waits for a replica that stopped (crashed) before its partitions move to the others; the broker bounds it")
	c.Kafka.flags(f)
}

// redis says how to reach Redis; ok is false when no Redis setting is
// given (a TLS file alone counts, so that NewClient says what is missing).
func (c *backendConfig) redis() (cfg redis.ClientConfig, ok bool) {
	cfg = redis.ClientConfig{Addr: c.RedisAddr, URL: c.RedisURL, CAFile: c.RedisCAFile, CertFile: c.RedisCertFile, KeyFile: c.RedisKeyFile}
	return cfg, cfg != redis.ClientConfig{}
}

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
// serves what. servesReads is false in a process without the API (a
// worker): its read model is then the shared one, or readmodel.None.
func openBackends(ctx context.Context, cfg serverConfig, reg prometheus.Registerer, servesReads bool) (*backends, error) {
	be := &backends{cfg: cfg.Backends}
	enq, err := cfg.Jobs.enqueuer()
	if err != nil {
		return nil, err
	}
	var storeName string
	if cfg.Backends.PostgresURL != "" {
		storeName, err = be.openPostgres(ctx, cfg, enq, reg)
	} else {
		storeName, err = be.openSQLite(ctx, cfg, enq)
	}
	if err != nil {
		be.Close()
		return nil, err
	}
	readModelName, fanoutName := "memory", "in-process"
	if _, ok := cfg.Backends.redis(); ok {
		if readModelName, fanoutName, err = be.openRedis(ctx, cfg, reg); err != nil {
			be.Close()
			return nil, err
		}
	} else if servesReads {
		if be.hot, err = readmodel.NewHotSet(&readmodel.HotSetConfig{Grace: cfg.HotGrace, Registerer: reg}); err != nil {
			be.Close()
			return nil, err
		}
		be.readModel = be.hot
		be.parts = append(be.parts, be.hot.Run)
	} else {
		be.readModel, readModelName = readmodel.None{}, "none (this process serves no reads)"
	}
	if be.hubReadModel == nil {
		be.hubReadModel = be.readModel
	}
	ingest := "http"
	if bs := cfg.Backends.brokers(); len(bs) > 0 {
		ingest = fmt.Sprintf("http and kafka (brokers %s, %s, topic %s, group %s)", strings.Join(bs, ","),
			cfg.Backends.Kafka.conn(bs).Describe(), cfg.Backends.KafkaTopic, cfg.Backends.KafkaGroup)
	}
	cfg.Logger.Info("backends", "store", storeName, "read_model", readModelName, "fanout", fanoutName, "ingest", ingest)
	if _, ok := cfg.Backends.redis(); cfg.Backends.PostgresURL != "" && !ok {
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
		rc.Queue = store
		return jobs.NewRuntime(riversqlite.New(store.DB()), rc)
	}
	be.closers = append(be.closers, store.Close)
	return "sqlite " + path, nil
}

// openPostgres opens the PostgreSQL store and River on its pool, applying
// the pending migrations first when cfg.Backends.Migrate is set, else
// refusing to start on a schema that is behind.
func (be *backends) openPostgres(ctx context.Context, cfg serverConfig, enq *jobs.Enqueuer, reg prometheus.Registerer) (string, error) {
	// The hook inserts jobs through the store's transaction.
	ins, err := jobs.NewClient(riverpgxv5.New(nil), &jobs.ClientConfig{})
	if err != nil {
		return "", err
	}
	store, err := openPostgresStore(ctx, &postgres.Config{
		URL: cfg.Backends.PostgresURL, Build: buildVersion(), Logger: cfg.Logger,
		Jobs: jobs.Hook(ins, enq), Timeout: cfg.Backends.StoreTimeout,
	})
	if err != nil {
		return "", err
	}
	be.store = store
	be.closers = append(be.closers, store.Close)
	if err := reg.Register(postgres.PoolCollector(store)); err != nil {
		return "", err
	}
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
		rc.Queue = store
		return jobs.NewRuntime(riverpgxv5.New(store.Pool()), rc)
	}
	return "postgres " + postgres.Redact(cfg.Backends.PostgresURL), nil
}

// openPostgresStore opens the store; a configuration the server refuses
// (EINVALID: a certificate, a login, a database) is said once, as the
// message of what is wrong, and stops the command.
func openPostgresStore(ctx context.Context, cfg *postgres.Config) (*postgres.Store, error) {
	store, err := postgres.Open(ctx, cfg)
	if eligo.ErrorCode(err) == eligo.EINVALID {
		return nil, errors.New(eligo.ErrorMessage(err))
	}
	return store, err
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
		Conn: be.cfg.Kafka.conn(bs), Topic: be.cfg.KafkaTopic, Group: be.cfg.KafkaGroup,
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
