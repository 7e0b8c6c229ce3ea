package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/httpapi"
)

// serveAbout is the help of `eligo serve`.
const serveAbout = `Run the API, the live streams and the job workers. With no flags it runs on
the embedded SQLite store in --data-dir; --postgres-url, --redis-url (or --redis-addr)
and --kafka-brokers turn on the production engines (docs/production.md).`

// runServe runs the API until ctx ends.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg serverConfig
	f := newFlagSet("serve")
	cfg.serveFlags(f)
	if err := f.parse(args, getenv, stdout, serveAbout); err != nil {
		return err
	}
	if err := cfg.CustomerTokens.check(); err != nil {
		return &usageError{"serve", err}
	}
	cfg.Logger = cfg.Log.logger(stderr)
	s, err := startServer(ctx, cfg, getenv)
	if err != nil {
		return err
	}
	if g := s.Secrets.generated; len(g) > 0 {
		fmt.Fprintf(stdout, "Generated %s in %s (keep it secret).\n", strings.Join(g, " and "), filepath.Join(cfg.DataDir, secretsFile))
	}
	if getenv("ELIGO_SERVICE_TOKENS") == "" { // from the data directory
		fmt.Fprintf(stdout, "Service token: %s\n", s.Secrets.ServiceTokens[0])
	}
	if getenv("ELIGO_CUSTOMER_TOKEN_SECRET") == "" {
		fmt.Fprintf(stdout, "Customer token: eligo token customer --data-dir %s --customer CUSTOMER_ID --ttl 1h\n", cfg.DataDir)
	}
	fmt.Fprintf(stdout, "eligo is serving on %s\n", s.URL)
	return s.Serve(ctx)
}

// serveFlags declares the flags of `eligo serve` into c.
func (c *serverConfig) serveFlags(f *flagSet) {
	c.processFlags(f, ":8080", "listen address of the API")
	c.apiFlags(f)
	f.Duration(&c.ShutdownDelay, "shutdown-delay", 0, 0, "on SIGTERM, answer /readyz 503 and keep serving for this long before the graceful shutdown (--shutdown-timeout) begins, so load balancers stop sending requests first")
	f.Bool(&c.DemoPage, "demo-page", false, "serve the demo page at /demo/; it hands customer tokens to anyone: never on a real deployment")
	f.String(&c.MetricsAddr, "metrics-addr", "", "serve /metrics on this address only, not on --addr; the production setting, for example 127.0.0.1:9090 or an internal interface")
	c.Jobs.flags(f, true)
	c.Backends.flags(f, true)
	c.otlpFlags(f)
}

// workerFlags declares the flags of `eligo worker` into c: the store, the
// shared read model and the jobs; no API, no ingest.
func (c *serverConfig) workerFlags(f *flagSet) {
	c.processFlags(f, ":9091", "listen address of /metrics and /healthz")
	f.envName("addr", "ELIGO_WORKER_ADDR") // ELIGO_ADDR is the API's
	c.Jobs.flags(f, false)
	c.Backends.flags(f, false)
	c.otlpFlags(f)
}

// otlpFlags declares the tracing flag of serve and worker.
func (c *serverConfig) otlpFlags(f *flagSet) {
	f.String(&c.OTLPEndpoint, "otlp-endpoint", "", "export traces over OTLP/HTTP to this URL, e.g. http://otel-collector:4318; empty means off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (the other OTEL_* variables are honoured)")
}

// processFlags declares the flags of every long-running command.
func (c *serverConfig) processFlags(f *flagSet, addr, addrUsage string) {
	f.String(&c.Addr, "addr", addr, addrUsage)
	f.String(&c.DataDir, "data-dir", defaultDataDir, "directory of the SQLite database and generated secrets")
	f.String(&c.PolicyPath, "policy", "", "policy file (JSON), validated at start, in force while the store holds no applied policy (eligo policy apply); empty means the built-in cancel rule; the embedded default reloads it on SIGHUP")
	f.Duration(&c.PolicyPoll, "policy-poll", engine.DefaultPolicyPoll, 100*time.Millisecond, "how often to read the store's current policy: a policy applied on another replica is in force here at once through the Redis fan-out, and within this interval without it")
	f.Duration(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, time.Millisecond, "how long a graceful shutdown may take")
	c.Log.flags(f)
	f.Duration(&c.HotGrace, "hot-grace", eligo.DefaultHotGrace, time.Second, "how long a delivered, cancelled or expired order stays in the read model (memory or Redis) after it ended; older orders are read from the store")
}

// apiFlags declares the flags of the API (serve and demo).
func (c *serverConfig) apiFlags(f *flagSet) {
	f.Duration(&c.MaxAge, "max-age", 5*time.Second, 0, "longest Cache-Control max-age on eligibility answers")
	f.Count(&c.MaxConns, "max-conns", 10000, 0, "the most HTTP connections open at once, live streams included; keep it under the open-file limit; 0 is no limit")
	f.Duration(&c.SlowRequest, "slow-request", httpapi.DefaultSlowRequest, time.Millisecond, "a request slower than this is logged at info (failed ones are too; the rest at debug)")
	f.Duration(&c.BodyTimeout, "body-timeout", 10*time.Second, time.Millisecond, "how long a request body may take to arrive after its headers")
	f.String(&c.CORSOrigins, "cors-origins", "", "origins of browser apps on other origins allowed to call the customer routes (eligibility, live, cancel), comma-separated and exact, e.g. https://app.example.com; no wildcard; empty means CORS is off")
	f.Duration(&c.CustomerTokenMaxTTL, "customer-token-max-ttl", auth.DefaultMaxCustomerTokenTTL, time.Second, "longest customer token lifetime accepted (exp - iat, or exp - now without iat); longer-lived tokens are refused")
	c.CustomerTokens.flags(f)
	c.Live.flags(f)
}
