package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
)

type metrics struct {
	records            prometheus.Counter
	batchSeconds       prometheus.Histogram
	deadLetters        *prometheus.CounterVec
	deadLetterErrors   prometheus.Counter
	deadLettersSkipped prometheus.Counter
	applyErrors        prometheus.Counter
	commitErrors       prometheus.Counter
	lag                *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		records: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_kafka_records_total",
			Help: "Event records consumed and committed (their outcomes are in eligo_events_total).",
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "eligo_kafka_batch_seconds",
			Help:    "Time to apply, dead-letter and commit one polled batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_kafka_dead_letters_total",
			Help: "Records sent to the dead-letter topic, by reason (undecodable, rejected).",
		}, []string{"reason"}),
		deadLetterErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_kafka_dead_letter_errors_total",
			Help: "Failed attempts to produce dead letters (they are retried, in a minimal form after a few, and skipped after a bound: see eligo_kafka_dead_letters_skipped_total).",
		}),
		deadLettersSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_kafka_dead_letters_skipped_total",
			Help: "Bad records skipped because not even a minimal dead letter (no value) could be produced after bounded attempts; each is logged at ERROR with its topic, partition and offset.",
		}),
		applyErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_kafka_apply_errors_total",
			Help: "Failed attempts to apply a batch in the store (the batch is retried).",
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_kafka_commit_errors_total",
			Help: "Failed offset commits (the batch will be delivered again, as duplicates).",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "eligo_kafka_consumer_lag",
			Help: "Records on the events topic not yet committed by the consumer group, by partition (the whole group's, as this replica last saw it).",
		}, []string{"topic", "partition"}),
	}
	// At zero from the start, so that an alert on their increase sees the
	// first dead letter after a restart.
	for _, r := range []string{reasonUndecodable, reasonRejected} {
		m.deadLetters.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.records, m.batchSeconds, m.deadLetters, m.deadLetterErrors, m.deadLettersSkipped, m.applyErrors, m.commitErrors, m.lag} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// partitionLag is the lag of one partition of the topic.
type partitionLag struct {
	Partition int32
	Lag       int64
}

// lag asks the cluster for the group's lag on each partition of the topic:
// the end offset less the group's committed offset, or less the start
// offset where the group has committed nothing.
func (c *Consumer) lag(ctx context.Context) ([]partitionLag, error) {
	ends, err := c.admin.ListEndOffsets(ctx, c.cfg.Topic)
	if err != nil {
		return nil, fmt.Errorf("kafka: lag: end offsets: %w", err)
	}
	if err := ends.Error(); err != nil {
		return nil, fmt.Errorf("kafka: lag: end offsets: %w", err)
	}
	starts, err := c.admin.ListStartOffsets(ctx, c.cfg.Topic)
	if err != nil {
		return nil, fmt.Errorf("kafka: lag: start offsets: %w", err)
	}
	if err := starts.Error(); err != nil {
		return nil, fmt.Errorf("kafka: lag: start offsets: %w", err)
	}
	commits, err := c.admin.FetchOffsetsForTopics(ctx, c.cfg.Group, c.cfg.Topic)
	if errors.Is(err, kerr.GroupIDNotFound) {
		// The group has not joined or committed yet (the first refresh
		// runs as the consumer starts): nothing is committed, everything
		// retained is lag.
		commits, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kafka: lag: committed offsets: %w", err)
	}
	if err := commits.Error(); err != nil {
		return nil, fmt.Errorf("kafka: lag: committed offsets: %w", err)
	}
	var out []partitionLag
	for p, end := range ends[c.cfg.Topic] {
		from := int64(0)
		if start, ok := starts.Lookup(c.cfg.Topic, p); ok {
			from = start.Offset
		}
		if commit, ok := commits.Lookup(c.cfg.Topic, p); ok && commit.At > from {
			from = commit.At
		}
		out = append(out, partitionLag{Partition: p, Lag: max(end.Offset-from, 0)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("kafka: lag: topic %q has no partitions", c.cfg.Topic)
	}
	return out, nil
}

// lagLoop refreshes the lag gauge every LagInterval until ctx ends.
func (c *Consumer) lagLoop(ctx context.Context) {
	for {
		if lags, err := c.lag(ctx); err != nil {
			if ctx.Err() == nil {
				c.log.DebugContext(ctx, "kafka: lag not refreshed", "err", err)
			}
		} else {
			for _, l := range lags {
				c.metrics.lag.WithLabelValues(c.cfg.Topic, strconv.Itoa(int(l.Partition))).Set(float64(l.Lag))
			}
		}
		if !sleep(ctx, c.cfg.LagInterval) {
			return
		}
	}
}
