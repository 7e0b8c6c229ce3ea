package main

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/live"
)

// liveConfig limits the live streams (GET /v1/orders/{id}/live).
type liveConfig struct {
	MaxConns            int
	MaxConnsPerCustomer int
}

// flags declares the live-stream flags into c.
func (c *liveConfig) flags(f *flagSet) {
	f.Count(&c.MaxConns, "live-max-conns", live.DefaultMaxConns, 1, "most live streams this process holds; keep it below the open-file limit")
	f.Count(&c.MaxConnsPerCustomer, "live-max-conns-per-customer", live.DefaultMaxConnsPerCustomer, 1, "most live streams one customer token may hold")
}

// newHub builds the live hub over the read model. fanout brings the other
// replicas' changes; nil means this process is the only one.
func newHub(c liveConfig, readModel eligo.ReadModel, fanout live.Fanout, policy *eligo.Policy, reg prometheus.Registerer, log *slog.Logger) (*live.Hub, error) {
	return live.New(live.Config{
		ReadModel:           readModel,
		Policy:              policy,
		MaxConns:            c.MaxConns,
		MaxConnsPerCustomer: c.MaxConnsPerCustomer,
		Logger:              log,
		Registerer:          reg,
		Fanout:              fanout,
	})
}
