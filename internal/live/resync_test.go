package live

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// resyncFanout is a fakeFanout that can also say notices were missed.
type resyncFanout struct {
	fakeFanout
	resyncs chan struct{}
}

func (f *resyncFanout) ListenResync(ctx context.Context, deliver func(string, int64), resync func()) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-f.notices:
			deliver(n[0].(string), n[1].(int64))
		case <-f.resyncs:
			resync()
		}
	}
}

// A change whose notice was lost (the fan-out reconnected) reaches the
// watchers on the resync, and orders that did not move push nothing.
func TestResyncPushesWhatNoticesMissed(t *testing.T) {
	t.Parallel()
	f := &resyncFanout{fakeFanout: fakeFanout{notices: make(chan [2]any)}, resyncs: make(chan struct{})}
	b := setup(t, setupOpts{cfg: Config{Fanout: f}})
	o1 := b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	b.order(t, "ord-2", "cust-2", time.Now().Add(time.Hour))
	ws1, ws2 := dialWS(t, b, "ord-1", nil), dialWS(t, b, "ord-2", nil)
	readWS(t, ws1)
	readWS(t, ws2)

	// Another replica committed version 2 of ord-1; its notice never came.
	_, err := b.rm.Put(context.Background(), arrive(o1))
	require.NoError(t, err)
	f.resyncs <- struct{}{}
	d := readWS(t, ws1)
	require.EqualValues(t, 2, d.Version)
	require.False(t, d.Actions["cancel"].Allowed)

	// ord-2 did not change: nothing is pushed for it.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err = ws2.Read(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestRefreshAllReadsOnlyWatchedOrders(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	b.order(t, "ord-2", "cust-2", time.Now().Add(time.Hour))
	require.Zero(t, b.hub.RefreshAll(context.Background()))
	readWS(t, dialWS(t, b, "ord-2", nil))
	require.Equal(t, 1, b.hub.RefreshAll(context.Background()))
}
