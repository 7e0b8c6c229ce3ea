package engine

import (
	"context"
	"time"
)

// DefaultStorePingEvery is how often WatchStore pings the store.
const DefaultStorePingEvery = 5 * time.Second

// Ping reports whether the store answers now, within its deadline:
// EUNAVAILABLE when it cannot. Readiness (/readyz) asks it, and the answer
// sets eligo_store_available.
func (e *Engine) Ping(ctx context.Context) error {
	err := e.cfg.Store.Ping(ctx)
	if err != nil {
		e.metrics.storeUp.Set(0)
	} else {
		e.metrics.storeUp.Set(1)
	}
	return err
}

// WatchStore pings the store every interval (DefaultStorePingEvery when
// zero) until ctx ends, so that eligo_store_available follows the store
// even where nothing asks /readyz (a worker). An outage is logged once at
// its start and once at its end.
func (e *Engine) WatchStore(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = DefaultStorePingEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	up := true
	for {
		err := e.Ping(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && up:
			e.cfg.Logger.WarnContext(ctx, "the store does not answer", "err", err)
		case err == nil && !up:
			e.cfg.Logger.InfoContext(ctx, "the store answers again")
		}
		up = err == nil
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
