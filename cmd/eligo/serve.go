package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// runServe runs the API until ctx ends.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, logLevel := serverFlags(fs, getenv, ":8080")
	metricsAddrFlag(fs, getenv, &cfg.MetricsAddr)
	fs.BoolVar(&cfg.DemoPage, "demo-page", false, "serve the demo page at /demo/; it hands customer tokens to anyone: never on a real deployment")
	jobsCfg := jobsFlags(fs, getenv, true)
	beCfg := backendFlags(fs, getenv, true)
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	if err := flagsFromEnv(fs, getenv, map[string]string{"max-age": "ELIGO_MAX_AGE", "max-conns": "ELIGO_MAX_CONNS", "body-timeout": "ELIGO_BODY_TIMEOUT"}); err != nil {
		return err
	}
	if err := flagsFromEnv(fs, getenv, jobsEnvFlags); err != nil {
		return err
	}
	if err := flagsFromEnv(fs, getenv, backendEnvFlags); err != nil {
		return err
	}
	if err := flagsFromEnv(fs, getenv, liveEnvFlags); err != nil {
		return err
	}
	if err := flagsFromEnv(fs, getenv, customerTokenEnvFlags); err != nil {
		return err
	}
	cfg.Jobs = *jobsCfg
	cfg.Backends = *beCfg
	if cfg.Jobs.KafkaBrokers == "" { // outbound events go to the cluster ingest reads
		cfg.Jobs.KafkaBrokers = beCfg.KafkaBrokers
	}
	cfg.Logger = newLogger(stderr, *logLevel)
	s, err := startServer(ctx, *cfg, getenv)
	if err != nil {
		return err
	}
	if s.Secrets.generated {
		fmt.Fprintf(stdout, "Generated credentials in %s/%s (keep it secret).\n", cfg.DataDir, secretsFile)
	}
	if s.Secrets.generated || getenv("ELIGO_SERVICE_TOKENS") == "" {
		fmt.Fprintf(stdout, "Service token: %s\n", s.Secrets.ServiceTokens[0])
		fmt.Fprintf(stdout, "Customer token: eligo token customer --data-dir %s --customer CUSTOMER_ID --ttl 1h\n", cfg.DataDir)
	}
	fmt.Fprintf(stdout, "eligo is serving on %s\n", s.URL)
	return s.Serve(ctx)
}

// serverFlags declares the flags shared by serve and demo.
func serverFlags(fs *flag.FlagSet, getenv func(string) string, defaultAddr string) (*serverConfig, *string) {
	cfg := &serverConfig{}
	fs.StringVar(&cfg.Addr, "addr", envOr(getenv, "ELIGO_ADDR", defaultAddr), "listen address (env ELIGO_ADDR)")
	fs.StringVar(&cfg.DataDir, "data-dir", envOr(getenv, "ELIGO_DATA_DIR", defaultDataDir), "directory of the SQLite database and generated secrets (env ELIGO_DATA_DIR)")
	fs.StringVar(&cfg.PolicyPath, "policy", getenv("ELIGO_POLICY"), "policy file (JSON); empty means the built-in cancel rule (env ELIGO_POLICY)")
	fs.DurationVar(&cfg.MaxAge, "max-age", 5*time.Second, "longest Cache-Control max-age on eligibility answers (env ELIGO_MAX_AGE)")
	fs.IntVar(&cfg.MaxConns, "max-conns", 10000, "the most HTTP connections open at once, live streams included; keep it under the open-file limit; 0 is no limit (env ELIGO_MAX_CONNS)")
	fs.DurationVar(&cfg.BodyTimeout, "body-timeout", 10*time.Second, "how long a request body may take to arrive after its headers (env ELIGO_BODY_TIMEOUT)")
	liveFlags(fs, &cfg.Live)
	customerTokenMaxTTLFlag(fs, &cfg.CustomerTokenMaxTTL)
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long a graceful shutdown may take")
	logLevel := fs.String("log-level", envOr(getenv, "ELIGO_LOG_LEVEL", "info"), "debug, info, warn or error (env ELIGO_LOG_LEVEL)")
	return cfg, logLevel
}

// flagsFromEnv sets every flag that the command line left unset from its
// ELIGO_* variable in envFlags, so a bad value in the environment is
// reported like a bad flag.
func flagsFromEnv(fs *flag.FlagSet, getenv func(string) string, envFlags map[string]string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, key := range envFlags {
		if v := getenv(key); v != "" && !set[name] && fs.Lookup(name) != nil {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %v", key, v, err)
			}
		}
	}
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
