package redis

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/tracing"
)

// Defaults of the zero FanoutConfig fields.
const (
	DefaultMaxQueue = 1 << 16
	// maxMessageBytes bounds one published message; a longer batch is
	// split.
	maxMessageBytes = 32 << 10
)

// FanoutConfig configures a Fanout.
type FanoutConfig struct {
	// Prefix names the channel, "<prefix>:{fanout}:changes"; replicas
	// that share a read model share it. Empty means DefaultPrefix.
	Prefix string
	// MaxQueue bounds the orders whose notices wait to be published, and
	// those received but not yet delivered. A notice for an order already
	// waiting replaces it; one more is dropped and a resync is sent
	// instead. Zero means DefaultMaxQueue.
	MaxQueue int
	Logger   *slog.Logger
	// Registerer gets the fan-out's metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
}

// Fanout carries change notices between replicas over Redis sharded
// pub/sub (SPUBLISH and SSUBSCRIBE on one channel). It implements
// live.Fanout and live.ResyncFanout, and engine.Listener for a process
// that applies changes without a hub of its own (eligo worker).
//
// A notice is one line, "<version> <order id>"; a message carries a batch
// of them. The line "*" is a resync: some notices were lost, and every
// replica re-reads the orders it watches. Notices are state, not deltas:
// a newer version of an order replaces an older one still queued, so a
// burst costs one line per order, however many versions it went through.
//
// Sharded pub/sub behaves as plain pub/sub on a standalone Redis. On a
// Redis Cluster a message is sent only to the nodes of the shard that owns
// the channel's slot, instead of over the cluster bus to every node; one
// channel, whose hash tag is {fanout}, carries every notice.
type Fanout struct {
	client  rueidis.Client
	channel string
	// policyChannel carries the policy notices (policy_notice.go).
	policyChannel string
	max           int
	log           *slog.Logger
	metrics       *fanoutMetrics

	out *queue
	// publishFailures and publishDropped count the failed attempts and
	// dropped notices of an outage; publishLoop's alone.
	publishFailures, publishDropped int
	stop                            chan struct{}
	done                            chan struct{}
	once                            sync.Once
}

// NewFanout returns a fan-out on client and starts its publisher, which
// Close stops. It fails when its metrics cannot be registered with
// cfg.Registerer.
func NewFanout(client rueidis.Client, cfg *FanoutConfig) (*Fanout, error) {
	m, err := newFanoutMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	f := &Fanout{
		client:  client,
		channel: prefix + ":{fanout}:changes",
		// The same hash tag: on a Redis Cluster, the same shard.
		policyChannel: prefix + ":{fanout}:policy",
		max:           cfg.MaxQueue,
		log:           cfg.Logger,
		metrics:       m,
		stop:          make(chan struct{}),
		done:          make(chan struct{}),
	}
	if f.max <= 0 {
		f.max = DefaultMaxQueue
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	f.out = newQueue(f.max)
	go f.publishLoop()
	return f, nil
}

// Publish queues a notice that the order reached version. It never waits
// on Redis: when the queue holds MaxQueue other orders, the notice is
// dropped and a resync is queued in its place.
func (f *Fanout) Publish(orderID string, version int64) {
	if !f.out.add(orderID, version) {
		f.metrics.dropped.Inc()
	}
	f.metrics.queued.Set(float64(f.out.len()))
}

// OrderChanged implements engine.Listener: it publishes the change. Every
// process that writes (eligo serve and eligo worker alike) has it among its
// engine's listeners; the live hub publishes nothing itself.
func (f *Fanout) OrderChanged(_ context.Context, o eligo.Order) { f.Publish(o.ID, o.Version) }

// Close publishes what is queued, for up to two seconds, and stops the
// publisher. Publish after Close drops.
func (f *Fanout) Close() error {
	f.once.Do(func() { close(f.stop) })
	<-f.done
	return nil
}

func (f *Fanout) publishLoop() {
	defer close(f.done)
	backoff := time.Duration(0)
	for {
		select {
		case <-f.out.ready:
		case <-f.stop:
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			f.publish(ctx, f.out.take())
			cancel()
			return
		}
		if backoff > 0 {
			// Redis refused the last batch; let it come back before the
			// next one, which carries a resync.
			select {
			case <-time.After(backoff):
			case <-f.stop:
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok := f.publish(ctx, f.out.take())
		cancel()
		if ok {
			backoff = 0
		} else {
			backoff = min(max(2*backoff, 50*time.Millisecond), 2*time.Second)
		}
	}
}

// publish sends a batch, split into messages of at most maxMessageBytes.
// When Redis refuses one, its notices are dropped and a resync is queued.
func (f *Fanout) publish(ctx context.Context, b batch) bool {
	f.metrics.queued.Set(float64(f.out.len()))
	if len(b.notices) == 0 && !b.resync {
		return true
	}
	var msgs []string
	var sb strings.Builder
	if b.resync {
		sb.WriteString("*\n")
	}
	for id, v := range b.notices {
		if sb.Len() > 0 && sb.Len()+len(id)+22 > maxMessageBytes {
			msgs = append(msgs, sb.String())
			sb.Reset()
		}
		sb.WriteString(strconv.FormatInt(v, 10))
		sb.WriteByte(' ')
		sb.WriteString(id)
		sb.WriteByte('\n')
	}
	msgs = append(msgs, sb.String())
	ctx, span := tracing.Tracer().Start(ctx, "fanout publish", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "redis"), attribute.String("messaging.destination.name", f.channel),
			attribute.Int("eligo.notices", len(b.notices)), attribute.Int("messaging.batch.message_count", len(msgs)), attribute.Bool("eligo.resync", b.resync)))
	defer span.End()
	cmds := make(rueidis.Commands, len(msgs))
	for i, m := range msgs {
		cmds[i] = f.client.B().Spublish().Channel(f.channel).Message(m).Build()
	}
	var failed error
	for _, r := range f.client.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			failed = err
		}
	}
	if failed != nil {
		span.SetStatus(codes.Error, failed.Error())
		// Logged once per outage, not once per attempt.
		if f.publishFailures == 0 {
			f.log.Warn("redis fan-out: publish failed; notices are dropped until Redis is back, then the other replicas resync", "notices", len(b.notices), "err", failed)
		}
		f.publishFailures++
		f.publishDropped += len(b.notices)
		f.metrics.dropped.Add(float64(len(b.notices)))
		f.out.setResync()
		return false
	}
	if f.publishFailures > 0 {
		f.log.Info("redis fan-out: publishing again", "failed_attempts", f.publishFailures, "dropped_notices", f.publishDropped)
		f.publishFailures, f.publishDropped = 0, 0
	}
	f.metrics.published.Add(float64(len(b.notices)))
	if b.resync {
		f.metrics.resyncsSent.Inc()
	}
	return true
}

// Listen delivers every notice published by any replica until ctx is done,
// then returns nil. It calls ListenResync with a resync that does nothing.
func (f *Fanout) Listen(ctx context.Context, deliver func(orderID string, version int64)) error {
	return f.ListenResync(ctx, deliver, func() {})
}

// ListenResync is Listen that also calls resync whenever notices may have
// been lost: on each (re)subscription, since nothing published while the
// subscription was down reaches this replica, and on a resync notice from
// a replica that dropped some. It subscribes again after any disconnection,
// with a backoff, until ctx is done, and returns nil then.
//
// Notices are delivered from a goroutine of their own, never from the
// connection's reader, so a slow deliver delays notices without stalling
// the connection; notices waiting meanwhile coalesce per order, as on the
// way out.
func (f *Fanout) ListenResync(ctx context.Context, deliver func(orderID string, version int64), resync func()) error {
	in := newQueue(f.max)
	go f.subscribe(ctx, f.channel, func(msg string) {
		f.metrics.received.Add(float64(f.parse(msg, in)))
	}, func() {
		f.metrics.subscribed.Inc()
		in.setResync()
	})
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-in.ready:
		}
		b := in.take()
		if b.resync {
			resync()
		}
		for id, v := range b.notices {
			if ctx.Err() != nil {
				return nil
			}
			deliver(id, v)
		}
	}
}

// subscribe keeps a subscription to channel until ctx is done, calling
// onMessage with each message and subscribed after each (re)subscription.
func (f *Fanout) subscribe(ctx context.Context, channel string, onMessage func(string), subscribed func()) {
	backoff := 50 * time.Millisecond
	failures := 0
	for ctx.Err() == nil {
		start := time.Now()
		err := f.subscribeOnce(ctx, channel, onMessage, subscribed)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 10*time.Second {
			backoff, failures = 50*time.Millisecond, 0
		}
		// Logged once per outage; the attempts after it at debug level.
		level := slog.LevelWarn
		if failures > 0 {
			level = slog.LevelDebug
		}
		failures++
		f.log.Log(ctx, level, "redis fan-out: subscription lost; subscribing again", "channel", channel, "in", backoff, "attempt", failures, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// subscribeOnce subscribes to channel on a connection of its own until the
// connection fails, the server drops the subscription or ctx is done.
func (f *Fanout) subscribeOnce(ctx context.Context, channel string, onMessage func(string), subscribed func()) error {
	c, release := f.client.Dedicate()
	defer release()
	defer c.Close()
	lost := make(chan struct{}, 1)
	wait := c.SetPubSubHooks(rueidis.PubSubHooks{
		OnMessage: func(m rueidis.PubSubMessage) { onMessage(m.Message) },
		OnSubscription: func(s rueidis.PubSubSubscription) {
			if s.Channel != channel {
				return
			}
			switch s.Kind {
			case "ssubscribe":
				subscribed()
			case "sunsubscribe": // the slot moved to another shard
				select {
				case lost <- struct{}{}:
				default:
				}
			}
		},
	})
	if err := c.Do(ctx, c.B().Ssubscribe().Channel(channel).Build()).Error(); err != nil {
		return err
	}
	select {
	case err := <-wait:
		return err
	case <-lost:
		return errUnsubscribed
	case <-ctx.Done():
		return nil
	}
}

// parse queues the notices of one message and returns how many it had.
func (f *Fanout) parse(msg string, in *queue) int {
	n := 0
	for line := range strings.Lines(msg) {
		line = strings.TrimSuffix(line, "\n")
		if line == "*" {
			in.setResync()
			continue
		}
		vs, id, ok := strings.Cut(line, " ")
		v, err := strconv.ParseInt(vs, 10, 64)
		if !ok || err != nil || id == "" {
			continue // a line of a later format
		}
		if !in.add(id, v) {
			f.metrics.dropped.Inc()
		}
		n++
	}
	return n
}

type fanoutError string

func (e fanoutError) Error() string { return string(e) }

const errUnsubscribed = fanoutError("redis fan-out: the server ended the subscription")
