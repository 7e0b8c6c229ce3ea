package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/httpapi"
	"github.com/eligo/eligo/internal/tracing"
)

const defaultDataDir = "eligo-data"

// serverConfig is what `eligo serve` and `eligo demo` start a server from.
type serverConfig struct {
	Addr       string
	DataDir    string
	PolicyPath string
	// PolicyPoll is how often the process reads the store's current
	// policy, the bound on a switch when a fan-out notice is lost; zero
	// means engine.DefaultPolicyPoll.
	PolicyPoll      time.Duration
	MaxAge          time.Duration
	MaxConns        int           // the most HTTP connections open at once; 0: no limit
	BodyTimeout     time.Duration // how long a request body may take to arrive
	SlowRequest     time.Duration // a request slower than this is logged at info
	ShutdownTimeout time.Duration
	// ShutdownDelay is how long /readyz answers 503 while everything else
	// keeps serving, once ctx ends and before the shutdown begins.
	ShutdownDelay time.Duration
	// HotGrace is how long a terminal order stays in the read model after
	// it ended (eligo.Order.Hot).
	HotGrace time.Duration
	Log      logConfig
	Logger   *slog.Logger // built from Log after the flags are read
	DemoPage bool         // serve internal/webdemo at /demo/: it hands out customer tokens, never on a real deployment
	// DemoPolicyChanges puts the Amsterdam buttons on the demo page, which
	// apply webdemo.AmsterdamChanges for anyone: `eligo demo` on its own
	// policy only.
	DemoPolicyChanges bool
	// Jobs is the deferred work (River): what writes enqueue and whether
	// this process works jobs, and how long rows are retained (its flags
	// set the defaults; a zero Retention is refused).
	Jobs jobsConfig
	// Backends names the production engines (PostgreSQL, Kafka); the zero
	// value is the embedded SQLite store with HTTP ingest only.
	Backends backendConfig
	// Live limits the live streams.
	Live liveConfig
	// CustomerTokenMaxTTL bounds accepted customer token lifetimes; zero
	// means auth.DefaultMaxCustomerTokenTTL.
	CustomerTokenMaxTTL time.Duration
	// CustomerTokens takes customer tokens from an identity provider.
	CustomerTokens customerTokenConfig
	// MetricsAddr, when set, serves /metrics there instead of on Addr.
	MetricsAddr string
	// OTLPEndpoint, when set, turns tracing on and exports there (as do
	// the standard OTEL_EXPORTER_OTLP_*ENDPOINT variables); see
	// internal/tracing.
	OTLPEndpoint string
	// CORSOrigins lists, comma-separated, the origins whose browser apps
	// may call the customer routes (httpapi.ParseCORSOrigins); empty: none.
	CORSOrigins string
}

// server is a running eligo: store, engine, read model and HTTP API.
type server struct {
	URL     string // base URL of the listener, e.g. http://127.0.0.1:8080
	Secrets secrets
	Engine  *engine.Engine

	cfg     serverConfig
	deps    *deps
	http    *http.Server
	ln      net.Listener
	metrics *metricsServer // nil: /metrics is on the API's listener
	keys    *auth.KeySet   // the identity provider's; nil without one
	ready   atomic.Bool
	started time.Time
}

// loadPolicy reads the policy file, or returns the built-in policy when path
// is empty.
func loadPolicy(path string) (*eligo.Policy, error) {
	if path == "" {
		return eligo.DefaultPolicy(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	p, err := eligo.ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %s", path, eligo.ErrorMessage(err))
	}
	return p, nil
}

// startServer opens the store, rebuilds the read model and starts listening.
// Serve must be called to serve requests until ctx ends.
func startServer(ctx context.Context, cfg serverConfig, getenv func(string) string) (*server, error) {
	log := cfg.Logger
	corsOrigins, err := httpapi.ParseCORSOrigins(cfg.CORSOrigins) // a wrong one stops the start before anything opens
	if err != nil {
		return nil, fmt.Errorf("--cors-origins (ELIGO_CORS_ORIGINS): %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	sec, err := loadSecrets(getenv, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	// The identity provider's keys are fetched before the store opens, so
	// that a wrong URL stops the start at once.
	keys, err := cfg.CustomerTokens.keySet(ctx, log)
	if err != nil {
		return nil, err
	}
	authn, err := auth.New(cfg.CustomerTokens.authConfig(sec, cfg.CustomerTokenMaxTTL, keys))
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	d, err := openDeps(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	be, eng, reg := d.be, d.engine, d.reg
	start := time.Now()
	if be.hot == nil {
		// A shared model (Redis) outlives this process and fills on demand:
		// every replica writing every order at start would only cost time.
		log.Info("read model not rebuilt: it is shared, and a miss is read from the store")
	} else {
		// Before the listener opens: /readyz cannot answer until it is done.
		n, err := eng.Rebuild(ctx)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("rebuilding the read model: %w", err)
		}
		log.Info("read model rebuilt: the hot set loaded", "orders", n, "took", time.Since(start).Round(time.Millisecond), "hot_grace", cfg.HotGrace)
	}
	be.startRepair(eng)
	// Kafka ingest, when configured, runs as one more part of Serve.
	if err := be.startIngest(eng, reg, log); err != nil {
		d.Close()
		return nil, err
	}
	ui, err := d.jobs.UI(ctx, log, httpapi.RiverUIPrefix)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("river ui: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		d.Close()
		return nil, err
	}
	if ln, err = httpapi.LimitListener(ln, cfg.MaxConns, reg); err != nil {
		d.Close()
		return nil, err
	}
	var metrics *metricsServer
	if cfg.MetricsAddr != "" {
		if metrics, err = listenMetrics(cfg.MetricsAddr, reg, log); err != nil {
			ln.Close()
			d.Close()
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	s := &server{
		URL:     "http://" + displayAddr(ln.Addr()),
		Secrets: sec,
		Engine:  eng,
		cfg:     cfg,
		deps:    d,
		ln:      ln,
		started: start,
		metrics: metrics,
		keys:    keys,
	}
	var handler http.Handler
	demo, err := demoPage(cfg, be.store, eng, sec.signingSecret())
	if err == nil {
		handler, err = httpapi.NewServer(httpapi.Deps{
			Engine:     eng,
			Auth:       authn,
			Logger:     log,
			Registerer: reg,
			Gatherer:   reg,
			Ready:      s.ready.Load,
			Live:       d.hub,
			MaxAge:     cfg.MaxAge,
			RiverUI:    ui,
			DemoPage:   demo,
			Degraded:   be.degraded,

			NoMetricsRoute: metrics != nil, // --metrics-addr: on that listener only
			BodyTimeout:    cfg.BodyTimeout,
			SlowRequest:    cfg.SlowRequest,
			CORSOrigins:    corsOrigins,
		})
	}
	if err != nil {
		ln.Close()
		if metrics != nil {
			metrics.Shutdown(ctx)
		}
		d.Close()
		return nil, err
	}
	if tracing.Enabled(cfg.OTLPEndpoint, getenv) {
		handler = httpapi.TraceHandler(handler) // off, the read path pays nothing for it
	}
	s.http = &http.Server{
		Handler:           httpapi.Harden(handler, cfg.BodyTimeout),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("eligo listening", "url", s.URL, "policy_version", eng.Policy().VersionString(), "actions", eng.Policy().ActionNames())
	return s, nil
}

// Serve serves until ctx ends, then answers /readyz 503 for the shutdown
// delay while serving everything else, shuts down gracefully within the
// shutdown timeout and closes the store.
func (s *server) Serve(ctx context.Context) error {
	// The parts run until the delay after ctx ends (or one of them fails).
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	g, gctx := errgroup.WithContext(runCtx)
	s.ready.Store(true) // the listener is open: connections queue until Serve takes them
	go func() {
		select {
		case <-ctx.Done():
		case <-gctx.Done():
		}
		s.ready.Store(false)
		if ctx.Err() != nil && s.cfg.ShutdownDelay > 0 {
			s.cfg.Logger.Info("not ready: draining before the shutdown", "delay", s.cfg.ShutdownDelay)
			t := time.NewTimer(s.cfg.ShutdownDelay)
			select {
			case <-t.C:
			case <-gctx.Done():
			}
			t.Stop()
		}
		stop()
	}()
	g.Go(func() error {
		if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	if s.metrics != nil {
		g.Go(s.metrics.Serve)
	}
	g.Go(func() error { return s.deps.jobs.Run(gctx) })
	g.Go(func() error { return s.deps.engine.WatchStore(gctx, 0) })
	g.Go(func() error { return s.deps.followPolicy(gctx) })
	g.Go(func() error { return s.reloadPolicyOnHangup(gctx) })
	for _, part := range s.deps.be.parts { // the Kafka consumer, when configured
		g.Go(func() error { return part(gctx) })
	}
	g.Go(func() error { return s.deps.hub.Run(gctx) })
	if s.keys != nil { // refreshes the identity provider's keys
		g.Go(func() error { return s.keys.Run(gctx) })
	}
	g.Go(func() error {
		<-gctx.Done()
		s.ready.Store(false)
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(gctx), s.cfg.ShutdownTimeout)
		defer cancel()
		s.cfg.Logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
		// HTTP first: http.Server.Shutdown does not close the streams the
		// hub took over, so the hub tells them and drains after it.
		err := errors.Join(s.http.Shutdown(shutdownCtx), s.deps.hub.Shutdown(shutdownCtx))
		if s.metrics != nil {
			err = errors.Join(err, s.metrics.Shutdown(shutdownCtx))
		}
		return err
	})
	err := g.Wait()
	if cerr := s.deps.Close(); err == nil {
		err = cerr
	}
	logStopped(ctx, s.cfg.Logger, err)
	return err
}

// logStopped writes a long-running command's last line: why it stopped
// (the signal, or the error that ended it) and whether it stopped cleanly.
func logStopped(ctx context.Context, log *slog.Logger, err error) {
	reason := "a part of it failed"
	if cause := context.Cause(ctx); cause == context.Canceled {
		reason = "its caller stopped it"
	} else if cause != nil {
		reason = cause.Error() // "received terminated"
	}
	if err != nil {
		log.Error("stopped", "reason", reason, "err", err)
		return
	}
	log.Info("stopped", "reason", reason)
}

func policyName(path string) string {
	if path == "" {
		return "built-in"
	}
	return path
}

// displayAddr turns a listener address such as [::]:8080 into one a person
// can paste into curl.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return fmt.Sprintf("localhost:%d", tcp.Port)
}
