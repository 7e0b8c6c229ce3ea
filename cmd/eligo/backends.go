package main

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
)

// backends are the engines behind one eligo process: the system of record
// and the read model. The embedded default is SQLite and an in-process map.
type backends struct {
	store              eligo.OrderStore
	readModel          eligo.ReadModel
	readModelIsPartial bool
	closers            []func() error // closed in reverse order
}

// openBackends opens what the configuration names and logs which backend
// serves what.
func openBackends(ctx context.Context, cfg serverConfig, _ prometheus.Registerer) (*backends, error) {
	be := &backends{}
	path := filepath.Join(cfg.DataDir, "eligo.db")
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Build: buildVersion(), Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	be.store = store
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
