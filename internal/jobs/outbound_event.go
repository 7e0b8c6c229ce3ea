package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// OutboundEventArgs publishes one version to the outbound sink (Kafka),
// keyed by order id.
type OutboundEventArgs Payload

// Kind implements river.JobArgs.
func (OutboundEventArgs) Kind() string { return "outbound_event" }

// InsertOpts implements river.JobArgsWithInsertOpts. Outbound events are
// never given up on quickly: River's default of 25 attempts spans about
// three weeks of backoff, and a discarded one stays visible.
func (OutboundEventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueOutbound, MaxAttempts: 25}
}

// Publisher delivers a payload to the outbound sink. Publish returns once
// the sink has it (at least once); an error leaves the job to be retried.
type Publisher interface {
	Publish(ctx context.Context, p Payload) error
}

// OutboundEventWorker runs OutboundEventArgs, keeping each order's versions
// in order: River runs jobs concurrently, in several processes, and a
// failed job is retried after later ones ran, so before publishing version
// n of an order the worker checks that no outbound job for an earlier
// version of that order is still to run. If one is, this job snoozes and
// tries again; it publishes only after every earlier version was published
// (or given up on, which is visible as a discarded job). Orders do not wait
// for each other.
type OutboundEventWorker struct {
	river.WorkerDefaults[OutboundEventArgs]
	Publisher Publisher // nil: the job fails until a publisher is configured
	// Earlier reports whether an outbound job for an earlier version of the
	// job's order is still to run. NewWorkers sets it.
	Earlier func(ctx context.Context, job *river.Job[OutboundEventArgs]) (bool, error)
	// Wait is how long a job waits for an earlier one (default 1 s).
	Wait time.Duration
}

// errNoPublisher fails outbound jobs in a process with no sink configured,
// rather than completing them without publishing.
var errNoPublisher = errors.New("outbound: no publisher configured in this worker (set ELIGO_KAFKA_BROKERS)")

// Work implements river.Worker.
func (w *OutboundEventWorker) Work(ctx context.Context, job *river.Job[OutboundEventArgs]) error {
	if w.Publisher == nil {
		return errNoPublisher
	}
	if w.Earlier != nil {
		earlier, err := w.Earlier(ctx, job)
		if err != nil {
			return err
		}
		if earlier {
			wait := w.Wait
			if wait <= 0 {
				wait = time.Second
			}
			return river.JobSnooze(wait)
		}
	}
	return w.Publisher.Publish(ctx, Payload(job.Args))
}

// pendingStates are the states of a job that is still to run.
var pendingStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// earlierOutbound returns OutboundEventWorker.Earlier for a client whose
// transactions are TTx. The predicate reads the job's JSON args with ->>,
// which PostgreSQL (jsonb) and SQLite (JSONB blobs) both understand.
func earlierOutbound[TTx any]() func(ctx context.Context, job *river.Job[OutboundEventArgs]) (bool, error) {
	return func(ctx context.Context, job *river.Job[OutboundEventArgs]) (bool, error) {
		client, err := river.ClientFromContextSafely[TTx](ctx)
		if err != nil {
			return false, err
		}
		res, err := client.JobList(ctx, river.NewJobListParams().
			Kinds(OutboundEventArgs{}.Kind()).
			States(pendingStates...).
			Where("args ->> 'order_id' = @order_id AND CAST(args ->> 'version' AS INTEGER) < @version",
				river.NamedArgs{"order_id": job.Args.OrderID, "version": job.Args.Version}).
			First(1))
		if err != nil {
			return false, err
		}
		return len(res.Jobs) > 0, nil
	}
}
