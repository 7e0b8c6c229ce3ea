package jobs

import (
	"context"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo"
)

// QueueStore is what the per-kind queue metrics need of the store: River's
// queue read from its river_job table (the SQLite and PostgreSQL stores
// have it).
type QueueStore interface {
	JobQueue(ctx context.Context) (eligo.JobQueue, error)
}

// queueCounts is the collector of eligo_job_queue_depth{kind,state} and
// eligo_job_queue_lateness_seconds{kind}: it reads the queue on scrape, at
// most once per countEvery, and answers every kind eligo runs (at zero
// when it has no job waiting or running) and any other kind the table
// holds (an embedder's).
type queueCounts struct {
	read  cachedRead[eligo.JobQueue]
	depth *prometheus.Desc
	late  *prometheus.Desc
}

func newQueueCounts(read func(ctx context.Context) (eligo.JobQueue, error)) *queueCounts {
	return &queueCounts{
		read: cachedRead[eligo.JobQueue]{read: read},
		depth: prometheus.NewDesc("eligo_job_queue_depth",
			"Jobs in the database by kind and state (available, scheduled, retryable, running), counted at most every 5 s.",
			[]string{"kind", "state"}, nil),
		late: prometheus.NewDesc("eligo_job_queue_lateness_seconds",
			"How long the oldest available job of each kind has been past its scheduled_at, 0 when none is; read at most every 5 s.",
			[]string{"kind"}, nil),
	}
}

func (q *queueCounts) Describe(ch chan<- *prometheus.Desc) {
	ch <- q.depth
	ch <- q.late
}

func (q *queueCounts) Collect(ch chan<- prometheus.Metric) {
	queue, err := q.read.get()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(q.depth, err)
		return
	}
	kinds := jobKinds
	for kind := range queue {
		if !slices.Contains(jobKinds, kind) {
			kinds = append(slices.Clip(kinds), kind)
		}
	}
	for _, kind := range kinds {
		k := queue[kind]
		for _, state := range eligo.JobQueueStates() {
			ch <- prometheus.MustNewConstMetric(q.depth, prometheus.GaugeValue, float64(k.Count(state)), kind, state)
		}
		ch <- prometheus.MustNewConstMetric(q.late, prometheus.GaugeValue, k.Late.Seconds(), kind)
	}
}
