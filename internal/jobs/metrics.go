package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/eligo/eligo"
)

// Metrics reports River's jobs to Prometheus:
//
//   - eligo_jobs{state}: jobs by state (available and scheduled are queued,
//     running, retryable, discarded...), counted in the database when
//     scraped (at most once per countEvery), so every process sees all of
//     them;
//   - eligo_job_queue_depth{kind,state} and eligo_job_queue_lateness_seconds
//     {kind}: the jobs of each kind that wait or run (available, scheduled,
//     retryable, running), and how long the oldest available one has been
//     past its scheduled_at (0 when none is), read from the database on
//     scrape like eligo_jobs; unlike eligo_job_lateness_seconds, this sees
//     jobs that nothing starts;
//   - eligo_job_attempts_total{kind,result}: attempts this process finished,
//     by result (completed, retried, discarded, cancelled, snoozed);
//   - eligo_job_lateness_seconds{kind}: started minus scheduled_at of every
//     attempt this process started, the lateness of scheduled jobs;
//   - eligo_job_run_seconds{kind}: how long attempts ran;
//   - eligo_payment_rechecks_total{result}: what payment re-checks did;
//   - eligo_retention_deleted_total{table}, eligo_retention_oldest_seconds
//     {table} and eligo_retention_passes_total: what the retention job
//     deleted, the age of the oldest row kept at the end of its last pass
//     here, and its complete passes (orders, versions, processed_events).
//
// A nil *Metrics is valid and records nothing.
type Metrics struct {
	attempts *prometheus.CounterVec
	lateness *prometheus.HistogramVec
	run      *prometheus.HistogramVec
	rechecks *prometheus.CounterVec
	counts   *stateCounts
	queue    *queueCounts

	retDeleted *prometheus.CounterVec
	retOldest  *prometheus.GaugeVec
	retPasses  prometheus.Counter
}

// jobKinds are the kinds of job eligo runs.
var jobKinds = []string{PaymentRecheckArgs{}.Kind(), OutboundEventArgs{}.Kind(), WebhookArgs{}.Kind(), RetentionArgs{}.Kind()}

// What a payment re-check did, the label of eligo_payment_rechecks_total.
const (
	recheckExpired       = "expired"        // the order expired unpaid
	recheckPaid          = "paid"           // the provider said it was paid
	recheckMoot          = "moot"           // paid or over already, or nothing to change
	recheckEarly         = "early"          // it ran before the timeout and was put back
	recheckProviderError = "provider_error" // the provider did not answer
)

// countEvery is the longest a scraped job count is reused.
const countEvery = 5 * time.Second

// NewMetrics registers job metrics with reg. count reads the number of jobs
// by state; nil leaves eligo_jobs out. CountFunc builds one from a client.
// queue reads the queue by kind (a QueueStore's JobQueue); nil leaves
// eligo_job_queue_depth and eligo_job_queue_lateness_seconds out.
func NewMetrics(reg prometheus.Registerer, count func(ctx context.Context) (map[rivertype.JobState]int, error),
	queue func(ctx context.Context) (eligo.JobQueue, error)) (*Metrics, error) {
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_job_attempts_total",
			Help: "Job attempts finished by this process, by kind and result (completed, retried, discarded, cancelled, snoozed).",
		}, []string{"kind", "result"}),
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eligo_job_lateness_seconds",
			Help:    "Started minus scheduled_at of job attempts started by this process, by kind.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 3, 5, 7.5, 10, 15, 30, 60, 300},
		}, []string{"kind"}),
		run: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eligo_job_run_seconds",
			Help:    "How long job attempts ran in this process, by kind.",
			Buckets: prometheus.ExponentialBuckets(.001, 4, 9),
		}, []string{"kind"}),
		rechecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_payment_rechecks_total",
			Help: "Payment re-check runs, by result (expired, paid, moot, early, provider_error).",
		}, []string{"result"}),
		retDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_retention_deleted_total",
			Help: "Rows the retention job deleted in this process, by table (orders, versions, processed_events).",
		}, []string{"table"}),
		retOldest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "eligo_retention_oldest_seconds",
			Help: "Age of the oldest row kept, by table, at the end of the last retention pass in this process: of orders, since the earliest-ended order ended (live orders are always kept); 0 when none.",
		}, []string{"table"}),
		retPasses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_retention_passes_total",
			Help: "Complete retention passes run by this process.",
		}),
	}
	// Every series exists from the start, at zero, so that alerts can be
	// written against it.
	for _, kind := range jobKinds {
		for _, r := range []string{"completed", "retried", "discarded", "cancelled", "snoozed"} {
			m.attempts.WithLabelValues(kind, r)
		}
		m.lateness.WithLabelValues(kind)
		m.run.WithLabelValues(kind)
	}
	for _, r := range []string{recheckExpired, recheckPaid, recheckMoot, recheckEarly, recheckProviderError} {
		m.rechecks.WithLabelValues(r)
	}
	for _, table := range []string{tableOrders, tableVersions, tableProcessedEvents} {
		m.retDeleted.WithLabelValues(table)
		m.retOldest.WithLabelValues(table)
	}
	cs := []prometheus.Collector{m.attempts, m.lateness, m.run, m.rechecks, m.retDeleted, m.retOldest, m.retPasses}
	if count != nil {
		m.counts = &stateCounts{read: cachedRead[map[rivertype.JobState]int]{read: count}, desc: prometheus.NewDesc("eligo_jobs",
			"Jobs in the database by state (available and scheduled are queued), counted at most every 5 s.",
			[]string{"state"}, nil)}
		cs = append(cs, m.counts)
	}
	if queue != nil {
		m.queue = newQueueCounts(queue)
		cs = append(cs, m.queue)
	}
	if reg != nil {
		for _, c := range cs {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// CountFunc returns a job counter for NewMetrics that asks c's database.
func CountFunc[TTx any](c *river.Client[TTx]) func(ctx context.Context) (map[rivertype.JobState]int, error) {
	return func(ctx context.Context) (map[rivertype.JobState]int, error) {
		return c.Driver().GetExecutor().JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{Schema: c.Schema()})
	}
}

// Watch subscribes to c's job events and records them until the returned
// function is called. Call it before c.Start.
func (m *Metrics) Watch(c interface {
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}) (stop func()) {
	if m == nil {
		return func() {}
	}
	events, cancel := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			m.observe(ev)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

func (m *Metrics) observe(ev *river.Event) {
	if ev.Job == nil {
		return
	}
	kind := ev.Job.Kind
	var result string
	switch ev.Kind {
	case river.EventKindJobCompleted:
		result = "completed"
	case river.EventKindJobCancelled:
		result = "cancelled"
	case river.EventKindJobSnoozed:
		result = "snoozed"
	case river.EventKindJobFailed:
		result = "retried"
		if ev.Job.State == rivertype.JobStateDiscarded {
			result = "discarded"
		}
	default:
		return
	}
	m.attempts.WithLabelValues(kind, result).Inc()
	if ev.JobStats != nil {
		m.lateness.WithLabelValues(kind).Observe(ev.JobStats.QueueWaitDuration.Seconds())
		m.run.WithLabelValues(kind).Observe(ev.JobStats.RunDuration.Seconds())
	}
}

func (m *Metrics) recheck(result string) {
	if m != nil {
		m.rechecks.WithLabelValues(result).Inc()
	}
}

// stateCounts is the eligo_jobs collector: it counts on scrape, and reuses
// a count younger than countEvery.
type stateCounts struct {
	read cachedRead[map[rivertype.JobState]int]
	desc *prometheus.Desc
}

var allStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
	rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

func (s *stateCounts) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

func (s *stateCounts) Collect(ch chan<- prometheus.Metric) {
	counts, err := s.read.get()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.desc, err)
		return
	}
	for _, st := range allStates {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

// cachedRead reads on scrape, and reuses a reading younger than
// countEvery, so that frequent scrapes (or several scrapers) cost the
// database one query per countEvery.
type cachedRead[T any] struct {
	read func(ctx context.Context) (T, error)

	mu   sync.Mutex
	at   time.Time
	ok   bool
	last T
}

func (c *cachedRead[T]) get() (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok || time.Since(c.at) >= countEvery {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		v, err := c.read(ctx)
		cancel()
		if err != nil {
			return v, err
		}
		c.last, c.at, c.ok = v, time.Now(), true
	}
	return c.last, nil
}
