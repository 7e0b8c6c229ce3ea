package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo/internal/httpapi"
)

// metricsServer serves a registry's /metrics and the profiles of
// net/http/pprof (operatorRoutes) on a listener of its own, never the
// public one.
type metricsServer struct {
	URL  string
	http *http.Server
	ln   net.Listener
}

// listenMetrics listens on addr for /metrics of reg.
func listenMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	operatorRoutes(mux, reg)
	m := &metricsServer{
		URL: "http://" + displayAddr(ln.Addr()),
		ln:  ln,
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      2 * time.Minute, // a CPU profile runs for ?seconds= (30 by default)
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}
	log.Info("metrics listening", "url", m.URL)
	return m, nil
}

// Serve serves until Shutdown.
func (m *metricsServer) Serve() error {
	if err := m.http.Serve(m.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (m *metricsServer) Shutdown(ctx context.Context) error {
	return m.http.Shutdown(ctx)
}

// operatorRoutes routes what only an operator's network may reach: /metrics
// and the profiles of net/http/pprof under /debug/pprof/ (docs/operations.md
// says how to take one). They go on the metrics listener (serve
// --metrics-addr) and the worker's listener, never on the public API.
func operatorRoutes(mux *http.ServeMux, reg *prometheus.Registry) {
	mux.Handle("GET /metrics", httpapi.MetricsHandler(reg))
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // heap, goroutine, allocs, block, mutex...
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}

// buildInfo is eligo_build_info: always 1, labelled with what is running.
func buildInfo() prometheus.Collector {
	info, _ := debug.ReadBuildInfo()
	revision := vcsRevision(info)
	if revision == "" {
		revision = "unknown"
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "eligo_build_info",
		Help:        "Always 1: the version, VCS revision and Go version of the running binary.",
		ConstLabels: prometheus.Labels{"version": buildVersion(), "revision": revision, "go_version": runtime.Version()},
	}, func() float64 { return 1 })
}
