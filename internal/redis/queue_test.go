package redis

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQueueCoalescesPerOrder(t *testing.T) {
	t.Parallel()
	q := newQueue(2)
	require.True(t, q.add("ord-1", 1))
	require.True(t, q.add("ord-1", 3))
	require.True(t, q.add("ord-1", 2)) // a late, older notice changes nothing
	require.True(t, q.add("ord-2", 1))
	require.Equal(t, 2, q.len())
	// Full: a third order is dropped and a resync stands for it, while
	// orders already queued still take newer versions.
	require.False(t, q.add("ord-3", 1))
	require.True(t, q.add("ord-2", 5))

	b := q.take()
	require.Equal(t, map[string]int64{"ord-1": 3, "ord-2": 5}, b.notices)
	require.True(t, b.resync)
	require.Zero(t, q.len())

	q.add("ord-4", 1)
	b = q.take()
	require.Equal(t, map[string]int64{"ord-4": 1}, b.notices)
	require.False(t, b.resync)
}

func TestQueueSignalsOnce(t *testing.T) {
	t.Parallel()
	q := newQueue(10)
	q.add("a", 1)
	q.add("b", 1)
	q.setResync()
	<-q.ready
	select {
	case <-q.ready:
		t.Fatal("a second token for one batch")
	default:
	}
}
