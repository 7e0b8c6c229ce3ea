package main

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
)

// backends are the engines behind one eligo process: the system of record
// and the read model. The embedded default is SQLite and an in-process map.
type backends struct {
	store              eligo.OrderStore
	readModel          eligo.ReadModel
	readModelIsPartial bool
	// jobs builds River on the store's database (see jobsConfig.runtime).
	jobs    func(*jobs.RuntimeConfig) (*jobs.Runtime, error)
	closers []func() error // closed in reverse order
}

// openBackends opens what the configuration names and logs which backend
// serves what.
func openBackends(ctx context.Context, cfg serverConfig, _ prometheus.Registerer) (*backends, error) {
	be := &backends{}
	path := filepath.Join(cfg.DataDir, "eligo.db")
	enq, err := cfg.Jobs.enqueuer()
	if err != nil {
		return nil, err
	}
	// The hook inserts jobs through the store's transaction; its client
	// needs no pool of its own.
	ins, err := jobs.NewClient(riversqlite.New(nil), &jobs.ClientConfig{})
	if err != nil {
		return nil, err
	}
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Build: buildVersion(), Logger: cfg.Logger, Jobs: jobs.Hook(ins, enq)})
	if err != nil {
		return nil, err
	}
	be.store = store
	be.jobs = func(rc *jobs.RuntimeConfig) (*jobs.Runtime, error) {
		return jobs.NewRuntime(riversqlite.New(store.DB()), rc)
	}
	be.closers = append(be.closers, store.Close)
	be.readModel = readmodel.NewMemory()
	cfg.Logger.Info("backends", "store", "sqlite "+path, "read_model", "memory")
	return be, nil
}

// Close closes every backend, the last opened first.
func (be *backends) Close() error {
	var errs []error
	for i := len(be.closers) - 1; i >= 0; i-- {
		errs = append(errs, be.closers[i]())
	}
	return errors.Join(errs...)
}
