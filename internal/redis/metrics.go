package redis

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// register registers cs with reg, unless reg is nil, and says which failed.
func register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("redis: registering metrics: %w", err)
		}
	}
	return nil
}

// readMetrics count the read model's reads by where the answer came from,
// so that the client-side cache's hit ratio is
//
//	rate(eligo_redis_read_model_gets_total{result="cache_hit"}[5m])
//	  / rate(eligo_redis_read_model_gets_total[5m])
type readMetrics struct {
	cacheHits, fetched, absent, getErrors prometheus.Counter
	stored, stale, cold, putErrors        prometheus.Counter
	retriesQueued                         prometheus.Gauge
	retriesDropped                        prometheus.Counter
}

func newReadMetrics(reg prometheus.Registerer) (*readMetrics, error) {
	gets := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "eligo_redis_read_model_gets_total",
		Help: "Read-model reads, by result: cache_hit (answered from the client-side cache), fetched (read from Redis), absent (Redis does not hold the order: the store answers), error.",
	}, []string{"result"})
	puts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "eligo_redis_read_model_puts_total",
		Help: "Read-model writes, by result: stored, stale (Redis held the same or a later version), cold (the order is out of the hot set: not stored, and an older snapshot deleted), error.",
	}, []string{"result"})
	retriesQueued := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "eligo_redis_read_model_put_retries_queued",
		Help: "Orders whose failed read-model write waits to be retried.",
	})
	retriesDropped := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "eligo_redis_read_model_put_retries_dropped_total",
		Help: "Failed read-model writes not retried because too many were queued; Redis may answer an older version of those orders until their next change.",
	})
	if err := register(reg, gets, puts, retriesQueued, retriesDropped); err != nil {
		return nil, err
	}
	return &readMetrics{
		retriesQueued:  retriesQueued,
		retriesDropped: retriesDropped,
		cacheHits:      gets.WithLabelValues("cache_hit"),
		fetched:        gets.WithLabelValues("fetched"),
		absent:         gets.WithLabelValues("absent"),
		getErrors:      gets.WithLabelValues("error"),
		stored:         puts.WithLabelValues("stored"),
		stale:          puts.WithLabelValues("stale"),
		cold:           puts.WithLabelValues("cold"),
		putErrors:      puts.WithLabelValues("error"),
	}, nil
}

// fanoutMetrics describe the fan-out's outbound queue and its subscription.
type fanoutMetrics struct {
	queued      prometheus.Gauge
	published   prometheus.Counter
	dropped     prometheus.Counter
	received    prometheus.Counter
	subscribed  prometheus.Counter
	resyncsSent prometheus.Counter
}

func newFanoutMetrics(reg prometheus.Registerer) (*fanoutMetrics, error) {
	m := &fanoutMetrics{
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eligo_redis_fanout_queue_length",
			Help: "Change notices waiting to be published (one per order: a newer version replaces a waiting one).",
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_redis_fanout_published_total",
			Help: "Change notices published to the other replicas.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_redis_fanout_dropped_total",
			Help: "Change notices dropped because the queue was full or Redis refused the publish; each drop is followed by a resync notice, on which every replica re-reads the orders it watches.",
		}),
		received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_redis_fanout_received_total",
			Help: "Change notices received from any replica, this one included.",
		}),
		subscribed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_redis_fanout_subscriptions_total",
			Help: "Times the fan-out (re)subscribed; after each, the hub re-reads every watched order.",
		}),
		resyncsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_redis_fanout_resyncs_sent_total",
			Help: "Resync notices published after notices were dropped.",
		}),
	}
	if err := register(reg, m.queued, m.published, m.dropped, m.received, m.subscribed, m.resyncsSent); err != nil {
		return nil, err
	}
	return m, nil
}
