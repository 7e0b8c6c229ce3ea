package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eligo/eligo/internal/readmodel"
)

// workerAbout is the help of `eligo worker`.
const workerAbout = `Run the job workers only (payment re-checks, outbound events, webhooks), apart
from the API ("eligo serve --workers=false"), on the same store. It serves
/metrics and /healthz on --addr.`

// runWorker runs River workers only, apart from the API (`eligo serve
// --workers=false`), until ctx ends. It serves /metrics and /healthz on its
// own address.
func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg serverConfig
	f := newFlagSet("worker")
	cfg.workerFlags(f)
	if err := f.parse(args, getenv, stdout, workerAbout); err != nil {
		return err
	}
	cfg.Logger = cfg.Log.logger(stderr)
	w, err := startWorker(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "eligo worker is running; metrics on %s/metrics\n", w.url)
	return w.run(ctx)
}

// worker is a running `eligo worker`.
type worker struct {
	url  string
	cfg  serverConfig
	deps *deps
	run  func(ctx context.Context) error
	http *http.Server
	ln   net.Listener
}

// startWorker opens the backends and River with workers, and listens for
// metrics.
func startWorker(ctx context.Context, cfg serverConfig) (*worker, error) {
	log := cfg.Logger
	cfg.Jobs.Workers = true
	d, err := openDeps(ctx, cfg, false)
	if err != nil {
		return nil, err
	}
	if _, ok := d.be.readModel.(readmodel.None); ok {
		log.Warn("the read model is in-process: API processes see this worker's changes (expiries) in their " +
			"answers only after a restart or their next write of the order. Under the built-in policy the " +
			"answers stay right meanwhile (an unpaid order, PENDING or FAILED, is payment_expired from its " +
			"timeout on, expired or not); a policy file must say so itself (payment_status UNPAID). Share a " +
			"read model (Redis) to run workers apart, or run `eligo serve` with workers in-process")
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		d.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	operatorRoutes(mux, d.reg)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	w := &worker{
		url:  "http://" + displayAddr(ln.Addr()),
		cfg:  cfg,
		deps: d,
		ln:   ln,
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)},
	}
	w.run = func(ctx context.Context) error {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error { return d.jobs.Run(gctx) })
		g.Go(func() error { return d.engine.WatchStore(gctx, 0) })
		g.Go(func() error { return d.followPolicy(gctx) }) // its jobs decide under it
		g.Go(func() error {
			if err := w.http.Serve(w.ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(gctx), cfg.ShutdownTimeout)
			defer cancel()
			return w.http.Shutdown(shutdownCtx)
		})
		err := g.Wait()
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		logStopped(ctx, log, err)
		return err
	}
	log.Info("eligo worker started", "metrics", w.url+"/metrics")
	return w, nil
}
