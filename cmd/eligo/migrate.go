package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/sqlite"
)

// runMigrate applies the schema migrations of the configured store, eligo's
// and River's, and says which it applied. With --pending it applies nothing
// and lists what is pending. On PostgreSQL this is the release step that
// `eligo serve --migrate=false` expects to have run; replicas may run it at
// once (migrations are applied under an advisory lock, once each).
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var mc migrateConfig
	f := newFlagSet("migrate")
	mc.flags(f)
	if err := f.parse(args, getenv, stdout, migrateAbout); err != nil {
		return err
	}
	dataDir, postgresURL, pendingOnly := &mc.DataDir, &mc.PostgresURL, &mc.Pending
	log := mc.Log.logger(stderr)
	if *postgresURL == "" {
		// The embedded store applies its migrations (and River's) on open.
		if *pendingOnly {
			return errors.New("--pending needs a PostgreSQL URL: the embedded SQLite store applies its migrations whenever it opens")
		}
		if err := os.MkdirAll(*dataDir, 0o700); err != nil {
			return fmt.Errorf("creating data directory: %w", err)
		}
		path := filepath.Join(*dataDir, "eligo.db")
		s, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Logger: log})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "sqlite %s: schema up to date\n", path)
		return s.Close()
	}
	s, err := openPostgresStore(ctx, &postgres.Config{URL: *postgresURL, Logger: log, MaxConns: 2})
	if err != nil {
		return err
	}
	defer s.Close()
	where := "postgres " + postgres.Redact(*postgresURL)
	if *pendingOnly {
		pending, err := pendingPostgres(ctx, s, log)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d pending\n", where, len(pending))
		for _, name := range pending {
			fmt.Fprintln(stdout, "  "+name)
		}
		return nil
	}
	applied, err := migratePostgres(ctx, s, log)
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied "+name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: schema up to date (%d applied)\n", where, len(applied))
	return nil
}

// migrateAbout is the help of `eligo migrate`.
const migrateAbout = `Apply the schema migrations of the configured store, eligo's and River's, and
say which it applied; with --pending, list them and apply nothing. On
PostgreSQL this is the release step that "eligo serve --migrate=false"
expects to have run.`

// migrateConfig is the configuration of `eligo migrate`.
type migrateConfig struct {
	DataDir     string
	PostgresURL string
	Pending     bool
	Log         logConfig
}

// flags declares the flags of `eligo migrate` into c.
func (c *migrateConfig) flags(f *flagSet) {
	f.String(&c.DataDir, "data-dir", defaultDataDir, "directory of the SQLite database, when no PostgreSQL URL is given")
	f.String(&c.PostgresURL, "postgres-url", "", "PostgreSQL to migrate; empty means the embedded SQLite file")
	f.scoped("ELIGO_MIGRATE_").Bool(&c.Pending, "pending", false, "list the pending migrations and apply nothing")
	c.Log.flags(f)
}

// migratePostgres applies eligo's migrations, then River's, each under the
// store's migration lock, and returns the names of those it applied.
func migratePostgres(ctx context.Context, s *postgres.Store, log *slog.Logger) ([]string, error) {
	applied, err := s.Migrate(ctx)
	if err != nil {
		return applied, err
	}
	m, err := rivermigrate.New(riverpgxv5.New(s.Pool()), &rivermigrate.Config{Logger: riverLogger(log)})
	if err != nil {
		return applied, fmt.Errorf("river migrations: %w", err)
	}
	err = s.WithMigrationLock(ctx, func(ctx context.Context) error {
		res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil {
			return err
		}
		for _, v := range res.Versions {
			applied = append(applied, "river_"+strconv.Itoa(v.Version)+"_"+v.Name)
			log.InfoContext(ctx, "postgres: applied river migration", "version", v.Version, "name", v.Name)
		}
		return nil
	})
	if err != nil {
		return applied, fmt.Errorf("river migrations: %w", err)
	}
	return applied, nil
}

// pendingPostgres returns what migratePostgres would apply: eligo's
// migrations by name, then River's as River reports them.
func pendingPostgres(ctx context.Context, s *postgres.Store, log *slog.Logger) ([]string, error) {
	pending, err := s.Pending(ctx)
	if err != nil {
		return nil, err
	}
	m, err := rivermigrate.New(riverpgxv5.New(s.Pool()), &rivermigrate.Config{Logger: riverLogger(log)})
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	if !res.OK {
		for _, msg := range res.Messages {
			pending = append(pending, "river: "+msg)
		}
	}
	return pending, nil
}
