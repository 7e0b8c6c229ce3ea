package main

import (
	"flag"
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

// liveEnvFlags maps the live flags to their environment variables.
var liveEnvFlags = map[string]string{
	"live-max-conns":              "ELIGO_LIVE_MAX_CONNS",
	"live-max-conns-per-customer": "ELIGO_LIVE_MAX_CONNS_PER_CUSTOMER",
}

// liveFlags declares the live-stream flags on fs, into c.
func liveFlags(fs *flag.FlagSet, c *liveConfig) {
	fs.IntVar(&c.MaxConns, "live-max-conns", live.DefaultMaxConns, "most live streams this process holds; keep it below the open-file limit (env ELIGO_LIVE_MAX_CONNS)")
	fs.IntVar(&c.MaxConnsPerCustomer, "live-max-conns-per-customer", live.DefaultMaxConnsPerCustomer, "most live streams one customer token may hold (env ELIGO_LIVE_MAX_CONNS_PER_CUSTOMER)")
}

// newHub builds the live hub over the read model. fanout carries changes
// between replicas; nil means this process is the only one.
func newHub(c liveConfig, readModel eligo.ReadModel, fanout live.Fanout, policy *eligo.Policy, reg prometheus.Registerer, log *slog.Logger) *live.Hub {
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
