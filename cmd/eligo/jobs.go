package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/kafka"
)

// jobsConfig is the deferred work of a process: which jobs its writes
// enqueue, and, when Workers is set, how it works them.
type jobsConfig struct {
	Workers            bool
	PaymentStatusURL   string
	WebhooksPath       string
	WebhookMaxAttempts int
	// Kafka is the backends' connection (--kafka-brokers and its TLS and
	// SASL); no brokers means no outbound events.
	Kafka         kafka.ConnConfig
	OutboundTopic string
	MaxWorkers    int
	PollOnly      bool // River polls instead of LISTEN/NOTIFY (PgBouncer in transaction mode)
	// StopTimeout bounds the stop of River at shutdown, running jobs
	// included: the process's --shutdown-timeout.
	StopTimeout time.Duration
	// Retention is how long the retention job keeps rows, run every
	// RetentionInterval on the leader of the processes with workers.
	Retention         eligo.Retention
	RetentionInterval time.Duration

	subscribers []jobs.Subscriber // loaded from WebhooksPath
}

// flags declares the flags of deferred work into c. withWorkersFlag adds
// --workers (serve); `eligo worker` always works jobs.
func (c *jobsConfig) flags(f *flagSet, withWorkersFlag bool) {
	c.Workers = true
	if withWorkersFlag {
		f.Bool(&c.Workers, "workers", true, "run River workers in this process; false serves the API only, for workers run apart with \"eligo worker\"")
	}
	f.String(&c.PaymentStatusURL, "payment-status-url", "", "payment provider: GET {url}/{order_id} answers {\"status\":\"PAID\"|\"PENDING\"|\"FAILED\"}; empty expires unpaid orders at their timeout without asking")
	f.String(&c.WebhooksPath, "webhooks", "", "webhook subscribers, a JSON file: [{\"url\",\"secret\",\"events\":[\"create\",\"update\"]}]; empty means none")
	f.Count(&c.WebhookMaxAttempts, "webhook-max-attempts", jobs.DefaultWebhookMaxAttempts, 1, "tries of a webhook before it is discarded")
	f.String(&c.OutboundTopic, "kafka-outbound-topic", jobs.DefaultOutboundTopic, "Kafka topic of outbound version events (with --kafka-brokers)")
	f.Count(&c.MaxWorkers, "job-workers", jobs.DefaultMaxWorkers, 1, "jobs run at once per queue")
	f.Bool(&c.PollOnly, "job-poll-only", false, "River polls for jobs (every second) instead of using LISTEN/NOTIFY; required behind PgBouncer in transaction mode")
	c.retentionFlags(f)
}

// retentionFlags declares the flags of the retention job into c.
func (c *jobsConfig) retentionFlags(f *flagSet) {
	f.Duration(&c.Retention.Orders, "retain-orders", eligo.DefaultRetainOrders, 0, "delete an ended order, with its versions and processed event ids, this long after it ended; 0 keeps them forever (live orders are never deleted)")
	f.Duration(&c.Retention.Versions, "retain-versions", eligo.DefaultRetainVersions, 0, "delete version rows this long after they were written; 0 keeps them forever; GET /v1/versions/{id} of a deleted one is 404")
	f.Duration(&c.Retention.EventIDs, "retain-event-ids", eligo.DefaultRetainEventIDs, 0, "delete processed event ids this long after they were processed (1h at least); keep it above the Kafka topic's retention and the longest redelivery, or a redelivered event applies twice")
	f.Duration(&c.RetentionInterval, "retention-interval", jobs.DefaultRetentionInterval, time.Minute, "how often the leader runs the retention job (and once shortly after it starts)")
}

// load checks the retention and reads the webhooks file, if any.
func (c *jobsConfig) load() error {
	if err := c.Retention.Validate(); err != nil {
		return fmt.Errorf("--retain-orders, --retain-versions, --retain-event-ids: %s", eligo.ErrorMessage(err))
	}
	if c.WebhooksPath == "" {
		return nil
	}
	subs, err := jobs.LoadSubscribers(c.WebhooksPath)
	if err != nil {
		return err
	}
	c.subscribers = subs
	return nil
}

func (c *jobsConfig) brokers() []string { return c.Kafka.Brokers }

// enqueuer says which jobs this process's writes cause.
func (c *jobsConfig) enqueuer() (*jobs.Enqueuer, error) {
	return jobs.NewEnqueuer(jobs.EnqueueConfig{
		Outbound:           len(c.brokers()) > 0,
		Webhooks:           c.subscribers,
		WebhookMaxAttempts: c.WebhookMaxAttempts,
	})
}

// runtime builds River on the backends' database: working jobs with eng
// when Workers is set, else insert-only (River UI and counts still work).
// The returned function closes what it opened (the Kafka producer).
func (c *jobsConfig) runtime(be *backends, eng *engine.Engine, reg prometheus.Registerer, log *slog.Logger) (*jobs.Runtime, func(), error) {
	rc := &jobs.RuntimeConfig{
		Client: jobs.ClientConfig{Logger: riverLogger(log), MaxWorkers: c.MaxWorkers, PollOnly: c.PollOnly,
			DiscardedJobRetention: riverRetention(c.Retention.Orders)},
		Registerer:  reg,
		StopTimeout: c.StopTimeout,
	}
	closeFn := func() {}
	if c.Workers {
		wc := &jobs.WorkersConfig{Orders: eng, Subscribers: c.subscribers,
			Retention: &jobs.RetentionConfig{Store: be.store, Retention: c.Retention, Interval: c.RetentionInterval}}
		if c.PaymentStatusURL != "" {
			wc.Payments = &jobs.PaymentProvider{BaseURL: c.PaymentStatusURL}
		}
		if len(c.brokers()) > 0 {
			kp, err := jobs.NewKafkaPublisher(c.Kafka, c.OutboundTopic)
			if err != nil {
				return nil, nil, err
			}
			wc.Publisher, closeFn = kp, kp.Close
		}
		rc.Workers = wc
	}
	rt, err := be.jobs(rc)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	log.Info("jobs", "workers", c.Workers, "payment_provider", c.PaymentStatusURL != "",
		"webhooks", len(c.subscribers), "kafka_outbound", len(c.brokers()) > 0, "retention", c.Retention.String())
	return rt, closeFn, nil
}

// riverRetention is how long River keeps a discarded job: as long as the
// order it names (-1, forever, when orders are kept forever).
func riverRetention(orders time.Duration) time.Duration {
	if orders == 0 {
		return -1
	}
	return orders
}

// riverLogger passes River's warnings and errors to log; its info lines
// (every start and stop of its services) would drown eligo's. So would
// its errors that a call was cancelled: they are its services stopping at
// shutdown (the periodic job enqueuer's "Error starting transaction:
// context canceled"), not failures.
func riverLogger(log *slog.Logger) *slog.Logger {
	return slog.New(minLevel{log.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) Handle(ctx context.Context, r slog.Record) error {
	cancelled := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" || a.Key == "err" {
			v := a.Value.Resolve()
			if err, ok := v.Any().(error); ok {
				cancelled = errors.Is(err, context.Canceled)
			} else {
				cancelled = strings.HasSuffix(v.String(), context.Canceled.Error())
			}
		}
		return !cancelled
	})
	if cancelled {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
