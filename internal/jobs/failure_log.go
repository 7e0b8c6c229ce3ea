package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// DefaultFailureLogEvery is how often FailureLog logs the failures of one
// kind of job at most.
const DefaultFailureLogEvery = 10 * time.Second

// FailureLog is River's error handler: it logs a failed job attempt at
// WARN with the job's kind, id, attempt and error, since River itself logs
// failures at INFO, below what eligo shows of it. Failures are
// rate-limited per kind: at most one line per Every, which counts the
// failures of that kind it did not log since the previous one
// ("suppressed"), so an outage that fails every job is one line every few
// seconds, not one per job. A job that used its last attempt (discarded)
// is always logged, at ERROR.
type FailureLog struct {
	Logger *slog.Logger
	Every  time.Duration    // default DefaultFailureLogEvery
	Now    func() time.Time // default time.Now

	mu    sync.Mutex
	kinds map[string]*failureCount
}

type failureCount struct {
	next       time.Time // when the next line of this kind may be logged
	suppressed int       // failures not logged since the last line
}

var _ river.ErrorHandler = (*FailureLog)(nil)

// HandleError implements river.ErrorHandler. It never cancels the job.
func (f *FailureLog) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	f.log(ctx, job, err.Error())
	return nil
}

// HandlePanic implements river.ErrorHandler. It never cancels the job.
func (f *FailureLog) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, _ string) *river.ErrorHandlerResult {
	f.log(ctx, job, fmt.Sprintf("panic: %v", panicVal))
	return nil
}

func (f *FailureLog) log(ctx context.Context, job *rivertype.JobRow, reason string) {
	if f.Logger == nil {
		return
	}
	attrs := []any{"kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt, "max_attempts", job.MaxAttempts, "err", reason}
	if job.Attempt >= job.MaxAttempts {
		f.Logger.ErrorContext(ctx, "job failed on its last attempt and is discarded", attrs...)
		return
	}
	suppressed, ok := f.allow(job.Kind)
	if !ok {
		return
	}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	f.Logger.WarnContext(ctx, "job attempt failed; it will be retried", attrs...)
}

// allow reports whether a failure of kind may be logged now and, if so,
// how many failures of kind were not logged since the last line.
func (f *FailureLog) allow(kind string) (int, bool) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	every := f.Every
	if every <= 0 {
		every = DefaultFailureLogEvery
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kinds == nil {
		f.kinds = map[string]*failureCount{}
	}
	c := f.kinds[kind]
	if c == nil {
		c = &failureCount{}
		f.kinds[kind] = c
	}
	t := now()
	if t.Before(c.next) {
		c.suppressed++
		return 0, false
	}
	n := c.suppressed
	c.next, c.suppressed = t.Add(every), 0
	return n, true
}
