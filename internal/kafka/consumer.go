package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
)

// Defaults of Config.
const (
	DefaultTopic       = "eligo.events"
	DefaultGroup       = "eligo"
	DefaultMaxBatch    = 2000
	DefaultParallel    = 2
	DefaultLagInterval = 15 * time.Second
	DeadLetterSuffix   = ".dlq"
)

// Applier applies a batch of events in one transaction; *engine.Engine is
// one.
type Applier interface {
	ApplyEvents(ctx context.Context, events []eligo.Event) ([]engine.EventResult, error)
}

// Config configures a Consumer.
type Config struct {
	// Conn is the connection: seed brokers (required), TLS, SASL. The
	// dead letters are produced on the same connection.
	Conn  ConnConfig
	Topic string // the events topic; defaults to DefaultTopic
	// DeadLetterTopic receives the records that cannot be decoded or
	// applied. It must exist (or the cluster must create topics on first
	// use). Defaults to Topic + ".dlq".
	DeadLetterTopic string
	Group           string  // the consumer group; defaults to DefaultGroup
	Applier         Applier // required
	// MaxBatch bounds the records of one poll. Defaults to DefaultMaxBatch.
	MaxBatch int
	// Parallel is how many transactions a batch is applied in at once,
	// its partitions split between them. Defaults to DefaultParallel; 1
	// applies each batch in one transaction.
	Parallel int
	// LagInterval is how often the lag gauge is refreshed. Defaults to
	// DefaultLagInterval.
	LagInterval time.Duration
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	// ClientOpts are added to the franz-go client's options (timeouts);
	// they may override the consumer's own.
	ClientOpts []kgo.Opt
}

// Consumer consumes the events topic. Run it once.
type Consumer struct {
	cfg     Config
	client  *kgo.Client
	admin   *kadm.Client
	log     *slog.Logger
	metrics *metrics

	// beforeCommit, when set (by tests), runs after the store commit and
	// the dead letters and before the offset commit; an error from it ends
	// Run without committing, as a crash there would.
	beforeCommit func() error

	closeOnce sync.Once
}

// New validates cfg and creates the Kafka client. It does not connect:
// Run does, and retries while the cluster is away.
func New(cfg Config) (*Consumer, error) {
	conn, err := cfg.Conn.Opts()
	if err != nil {
		return nil, err
	}
	if cfg.Applier == nil {
		return nil, errors.New("kafka: an Applier is required")
	}
	if cfg.Topic == "" {
		cfg.Topic = DefaultTopic
	}
	if cfg.DeadLetterTopic == "" {
		cfg.DeadLetterTopic = cfg.Topic + DeadLetterSuffix
	}
	if cfg.DeadLetterTopic == cfg.Topic {
		return nil, fmt.Errorf("kafka: the dead-letter topic must differ from the events topic %q", cfg.Topic)
	}
	if cfg.Group == "" {
		cfg.Group = DefaultGroup
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	if cfg.LagInterval <= 0 {
		cfg.LagInterval = DefaultLagInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	opts := append(conn,
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		// Offsets are committed by hand, after the store commit.
		kgo.DisableAutoCommit(),
		// No rebalance between a poll and its commit: the partitions of a
		// batch stay ours until its offsets are committed.
		kgo.BlockRebalanceOnPoll(),
		// A new group reads the topic from its start: events are
		// idempotent, so rereading is safe, and skipping is not.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.WithLogger(slogLogger{cfg.Logger}))
	opts = append(opts, cfg.ClientOpts...)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return &Consumer{cfg: cfg, client: client, admin: kadm.NewClient(client), log: cfg.Logger, metrics: m}, nil
}

// Run consumes until ctx ends or the consumer fails for good, then leaves
// the group and closes the client. A batch in progress when ctx ends is
// either finished (offsets committed) or left uncommitted, to be delivered
// again. Run returns nil when ctx ended.
func (c *Consumer) Run(ctx context.Context) error {
	defer c.Close()
	lagDone := make(chan struct{})
	lagCtx, stopLag := context.WithCancel(ctx)
	go func() {
		defer close(lagDone)
		c.lagLoop(lagCtx)
	}()
	defer func() { stopLag(); <-lagDone }()

	c.log.InfoContext(ctx, "kafka: consuming", "topic", c.cfg.Topic, "group", c.cfg.Group,
		"dead_letter_topic", c.cfg.DeadLetterTopic, "max_batch", c.cfg.MaxBatch, "parallel", c.cfg.Parallel)
	for {
		fetches := c.client.PollRecords(ctx, c.cfg.MaxBatch)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			c.log.WarnContext(ctx, "kafka: fetch failed; retrying", "topic", topic, "partition", partition, "err", err)
		})
		if recs := fetches.Records(); len(recs) > 0 {
			if err := c.process(ctx, recs); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		c.client.AllowRebalance()
	}
}

// Close leaves the group and closes the client without committing. Run
// calls it; call it only when Run was never called. It is safe to call more
// than once.
func (c *Consumer) Close() {
	c.closeOnce.Do(c.client.CloseAllowingRebalance)
}

// Lag returns the group's total lag on the topic: the records produced and
// not yet committed by the group.
func (c *Consumer) Lag(ctx context.Context) (int64, error) {
	lags, err := c.lag(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, l := range lags {
		total += max(l.Lag, 0)
	}
	return total, nil
}
