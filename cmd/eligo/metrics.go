package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsAddrFlag declares --metrics-addr: where /metrics is served apart
// from the API, the production setting (the API's listener is public,
// the metrics listener is for Prometheus only).
func metricsAddrFlag(fs *flag.FlagSet, getenv func(string) string, p *string) {
	fs.StringVar(p, "metrics-addr", getenv("ELIGO_METRICS_ADDR"), "serve /metrics on this address only, not on --addr; the production setting, for example 127.0.0.1:9090 or an internal interface (env ELIGO_METRICS_ADDR)")
}

// metricsServer serves a registry's /metrics, and nothing else, on a
// listener of its own.
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
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m := &metricsServer{
		URL: "http://" + displayAddr(ln.Addr()),
		ln:  ln,
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
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
