package eligo

import "time"

// JobQueue is River's queue as a store reads it from the river_job table,
// by job kind: the jobs that wait or run, and how late the oldest due one
// is. A kind without such jobs is absent.
type JobQueue map[string]KindQueue

// KindQueue is one job kind's part of the JobQueue: its jobs in each state
// a job waits or runs in, and Late, how long the oldest available job (due,
// not yet started) has been past its scheduled_at; 0 when none is
// available.
type KindQueue struct {
	Available, Scheduled, Retryable, Running int
	Late                                     time.Duration
}

// JobQueueStates returns the states of river_job that KindQueue counts.
func JobQueueStates() []string { return []string{"available", "scheduled", "retryable", "running"} }

// Add counts n jobs of state in q, and, for available jobs, the lateness of
// the oldest (negative is 0: a job due in the future is not late). A state
// that KindQueue does not count is ignored.
func (q *KindQueue) Add(state string, n int, late time.Duration) {
	switch state {
	case "available":
		q.Available += n
		q.Late = max(q.Late, late, 0)
	case "scheduled":
		q.Scheduled += n
	case "retryable":
		q.Retryable += n
	case "running":
		q.Running += n
	}
}

// Count returns q's jobs in state (one of JobQueueStates), 0 for another.
func (q KindQueue) Count(state string) int {
	switch state {
	case "available":
		return q.Available
	case "scheduled":
		return q.Scheduled
	case "retryable":
		return q.Retryable
	case "running":
		return q.Running
	}
	return 0
}
