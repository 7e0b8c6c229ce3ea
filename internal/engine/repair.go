package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eligo/eligo"
)

// Defaults of RepairConfig.
const (
	DefaultRepairInterval = time.Second
	DefaultRepairGrace    = time.Second
	DefaultRepairSettle   = 30 * time.Second
	repairBatch           = 1000
	repairPages           = 10
	maxRepairGaps         = 10_000
	repairConcurrency     = 32 // orders checked at once
)

// RepairMark keeps, across restarts and replicas, the version id up to
// which every committed change has been checked against the read model
// (internal/redis.RepairMark keeps it in Redis, beside the model).
type RepairMark interface {
	// Load returns the mark, or 0 when there is none.
	Load(ctx context.Context) (int64, error)
	// Save raises the mark to id; a lower id leaves it.
	Save(ctx context.Context, id int64) error
}

// RepairConfig configures Engine.Repair.
type RepairConfig struct {
	// Interval is the time between two reads of the store's changes.
	// Zero means DefaultRepairInterval.
	Interval time.Duration
	// Grace is how long a change waits, once read, before it is checked,
	// so that the writer's own Put lands first and costs the store
	// nothing. Zero means DefaultRepairGrace.
	Grace time.Duration
	// Settle is how long a missing version id (its transaction has it and
	// has not committed) is waited for before it is taken as rolled back.
	// A transaction that commits later than that after writing its version
	// is not repaired. Zero means DefaultRepairSettle.
	Settle time.Duration
	// Mark, when set, is where the repair starts and what it raises;
	// without one it starts at the first change.
	Mark RepairMark
}

// Repair keeps a shared read model (Redis) at the store's versions: it
// tails the store's committed changes (OrderStore.ListChanges, the version
// rows written in each change's transaction: the outbox), and where the
// model holds an older version of the order than a change made, it reads
// the order from the store and publishes it (read model and listeners), as
// the writer would have done had it not died between its commit and its
// publish. It returns nil when ctx ends; a failing store, model or mark
// is retried every Interval.
//
// Every replica runs one; they check the same changes, and the model's
// version guard makes their repairs harmless to each other. A change is
// repaired within about Interval + Grace of its commit, and of its
// appearance when its id was passed before it committed (a window of
// Settle behind the high-water mark is read again for those). A model that
// misses the order needs nothing: a miss reads the store. The in-process
// model needs no repair at all: it is rebuilt at start and lives and dies
// with the writer.
func (e *Engine) Repair(ctx context.Context, cfg RepairConfig) error {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultRepairInterval
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultRepairGrace
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultRepairSettle
	}
	r := &repairer{e: e, cfg: cfg, gaps: map[int64]time.Time{}, loaded: cfg.Mark == nil}
	e.cfg.Logger.InfoContext(ctx, "read model repair: tailing the store's changes",
		"interval", cfg.Interval, "grace", cfg.Grace, "settle", cfg.Settle)
	failing := false
	for {
		err := r.load(ctx)
		if err == nil {
			err = r.poll(ctx, e.cfg.Now())
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			// Once per streak: the store or the model is away, and says so
			// itself.
			e.cfg.Logger.WarnContext(ctx, "read model repair: a pass failed; retrying", "err", err)
		case err == nil && failing:
			e.cfg.Logger.InfoContext(ctx, "read model repair: passes succeed again")
		}
		failing = err != nil
		t := time.NewTimer(cfg.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

type repairer struct {
	e   *Engine
	cfg RepairConfig
	// hwm is the highest version id read; gaps are the ids below it not
	// read yet (their transactions may commit still), with when they were
	// first missed; pending are the changes read and not checked yet.
	hwm, saved int64
	loaded     bool // the mark was loaded
	gaps       map[int64]time.Time
	pending    []pendingChange
}

type pendingChange struct {
	eligo.CommittedChange
	seen time.Time
}

// load loads the mark, once.
func (r *repairer) load(ctx context.Context) error {
	if r.loaded {
		return nil
	}
	mark, err := r.cfg.Mark.Load(ctx)
	if err != nil {
		return fmt.Errorf("engine: repair: loading the mark: %w", err)
	}
	r.hwm, r.saved, r.loaded = mark, mark, true
	r.e.cfg.Logger.InfoContext(ctx, "read model repair: resuming", "after_version_id", mark)
	return nil
}

// poll reads the new changes, and those of the gaps, and checks the ones
// older than Grace. It reads at most repairPages batches of new changes a
// pass, so that a backlog (a first start) drains over several passes in
// bounded memory.
func (r *repairer) poll(ctx context.Context, now time.Time) error {
	// The gaps first: one read per run of consecutive missing ids, of
	// that run only (the rows present in it). They are few: the
	// transactions in flight at the last pass, and the rolled back ones.
	ids := slices.Sorted(maps.Keys(r.gaps))
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j] == ids[j-1]+1 && j-i < repairBatch {
			j++
		}
		cs, err := r.e.cfg.Store.ListChanges(ctx, ids[i]-1, j-i)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if _, ok := r.gaps[c.VersionID]; ok {
				delete(r.gaps, c.VersionID)
				r.pending = append(r.pending, pendingChange{c, now})
			}
		}
		i = j
	}
	for id, seen := range r.gaps {
		if now.Sub(seen) >= r.cfg.Settle {
			delete(r.gaps, id)
		}
	}
	for range repairPages {
		cs, err := r.e.cfg.Store.ListChanges(ctx, r.hwm, repairBatch)
		if err != nil {
			return err
		}
		for _, c := range cs {
			for id := r.hwm + 1; id < c.VersionID && len(r.gaps) < maxRepairGaps; id++ {
				r.gaps[id] = now
			}
			r.hwm = c.VersionID
			r.pending = append(r.pending, pendingChange{c, now})
		}
		if len(cs) < repairBatch {
			break
		}
	}
	if err := r.check(ctx, now); err != nil {
		return err
	}
	return r.saveMark(ctx)
}

// check checks the pending changes older than Grace, the latest change of
// each order once, and keeps the others pending.
func (r *repairer) check(ctx context.Context, now time.Time) error {
	type due struct{ version, firstID int64 }
	latest := map[string]due{}
	keep := r.pending[:0]
	for _, p := range r.pending {
		if now.Sub(p.seen) < r.cfg.Grace {
			keep = append(keep, p)
			continue
		}
		d, ok := latest[p.OrderID]
		if !ok {
			d.firstID = p.VersionID
		}
		d.version, d.firstID = max(d.version, p.OrderVersion), min(d.firstID, p.VersionID)
		latest[p.OrderID] = d
	}
	// Each check is a model read and, for a stale order, a store read and
	// a publish: done repairConcurrency at a time, so that hundreds of
	// stale orders (a writer killed under load) are repaired in about one
	// pass rather than one round trip after another.
	ids := slices.Collect(maps.Keys(latest))
	errs := make([]error, len(ids))
	var g errgroup.Group
	g.SetLimit(repairConcurrency)
	for i, id := range ids {
		g.Go(func() error {
			errs[i] = r.repair(ctx, id, latest[id].version)
			return nil
		})
	}
	_ = g.Wait()
	var failed error
	for i, id := range ids {
		if errs[i] != nil { // check it again next pass
			failed = cmp.Or(failed, errs[i])
			d := latest[id]
			keep = append(keep, pendingChange{eligo.CommittedChange{VersionID: d.firstID, OrderID: id, OrderVersion: d.version}, now.Add(-r.cfg.Grace)})
		}
	}
	r.pending = keep
	return failed
}

// repair publishes the stored order when the model holds a version of it
// older than v.
func (r *repairer) repair(ctx context.Context, id string, v int64) error {
	o, ok, err := r.e.cfg.ReadModel.Get(ctx, id)
	if err != nil {
		return err
	}
	if !ok || o.Version >= v {
		return nil
	}
	cur, err := r.e.cfg.Store.FindOrder(ctx, id)
	if err != nil {
		return err
	}
	r.e.metrics.repairs.Inc()
	r.e.cfg.Logger.WarnContext(ctx, "read model repair: the model held an older version; published the stored one",
		"order_id", id, "model_version", o.Version, "store_version", cur.Version)
	r.e.publish(ctx, cur, true)
	return nil
}

// saveMark raises the mark to the highest id below which every change has
// been checked.
func (r *repairer) saveMark(ctx context.Context) error {
	if r.cfg.Mark == nil {
		return nil
	}
	settled := r.hwm
	for id := range r.gaps {
		settled = min(settled, id-1)
	}
	for _, p := range r.pending {
		settled = min(settled, p.VersionID-1)
	}
	if settled <= r.saved {
		return nil
	}
	if err := r.cfg.Mark.Save(ctx, settled); err != nil {
		return err
	}
	r.saved = settled
	return nil
}
