package eligo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestKindQueueAdd(t *testing.T) {
	t.Parallel()
	var q eligo.KindQueue
	q.Add("available", 2, 30*time.Second)
	q.Add("available", 1, 10*time.Second) // a later group: the oldest stays
	q.Add("scheduled", 3, -time.Minute)
	q.Add("retryable", 4, time.Hour) // only available jobs are late
	q.Add("running", 5, time.Hour)
	q.Add("completed", 6, time.Hour) // not a state KindQueue counts
	require.Equal(t, eligo.KindQueue{Available: 3, Scheduled: 3, Retryable: 4, Running: 5, Late: 30 * time.Second}, q)
	for _, st := range eligo.JobQueueStates() {
		require.Positive(t, q.Count(st), st)
	}
	require.Zero(t, q.Count("completed"))

	// An available job due in the future (a clock between two machines) is
	// not late.
	var early eligo.KindQueue
	early.Add("available", 1, -time.Second)
	require.Equal(t, eligo.KindQueue{Available: 1}, early)
}
