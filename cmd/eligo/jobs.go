package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
}

// load reads the webhooks file, if any.
func (c *jobsConfig) load() error {
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
		Client:      jobs.ClientConfig{Logger: riverLogger(log), MaxWorkers: c.MaxWorkers, PollOnly: c.PollOnly},
		Registerer:  reg,
		StopTimeout: c.StopTimeout,
	}
	closeFn := func() {}
	if c.Workers {
		wc := &jobs.WorkersConfig{Orders: eng, Subscribers: c.subscribers}
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
		"webhooks", len(c.subscribers), "kafka_outbound", len(c.brokers()) > 0)
	return rt, closeFn, nil
}

// riverLogger passes River's warnings and errors to log; its info lines
// (every start and stop of its services) would drown eligo's.
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

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
