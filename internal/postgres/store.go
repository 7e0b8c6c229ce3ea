package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eligo/eligo"
)

// defaultMaxConns is the pool size when Config.MaxConns is zero.
const defaultMaxConns = 10

// Config configures a Store.
type Config struct {
	// URL is the connection string, e.g.
	// postgres://eligo@db.internal:5432/eligo?sslmode=verify-full. Any
	// libpq setting may be given, search_path included. Required.
	URL string
	// Now is the store's clock: it stamps updated_at, version and
	// processed-event times, and is the instant given to eligo.Update.Apply.
	// Defaults to time.Now. Readings are truncated to the microsecond.
	Now func() time.Time
	// Host is recorded in every version. Defaults to os.Hostname.
	Host string
	// Build is recorded in every version. Defaults to the binary's VCS
	// revision or module version, from its build info.
	Build string
	// Logger receives migration and retry notices. Defaults to discarding.
	Logger *slog.Logger
	// MaxConns bounds the connection pool. Defaults to the URL's
	// pool_max_conns, else 10.
	MaxConns int32
	// Timeout bounds every call of the store (eligo.StoreCall): past it the
	// call fails with EUNAVAILABLE. The server gets it as statement_timeout
	// and lock_timeout, unless the URL sets those. Zero means
	// eligo.DefaultStoreTimeout; negative means no deadline.
	Timeout time.Duration
	// Jobs, when set, is called inside every write transaction that
	// applied a change, to insert the River jobs the changes cause. When
	// nil, no job is inserted.
	Jobs JobsFunc
}

// Store is the PostgreSQL OrderStore. It is safe for concurrent use, by
// several processes on the same database as well.
type Store struct {
	set  eligo.StoreSettings // with its defaults
	jobs JobsFunc
	pool *pgxpool.Pool

	closeOnce sync.Once
}

var _ eligo.OrderStore = (*Store)(nil)

// Open connects to the database at cfg.URL and checks that it answers. It
// does not change the schema: call Migrate, or check Pending. The caller
// must Close the store. An invalid Config is EINVALID, and so is a server
// that refuses what the URL says (a certificate that cannot be verified,
// a wrong password, no such database): a retry would fail the same.
func Open(ctx context.Context, cfg *Config) (*Store, error) {
	if cfg == nil || cfg.URL == "" {
		return nil, eligo.Errorf(eligo.EINVALID, "postgres: a connection URL is required")
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, parseError(cfg.URL, err)
	}
	switch {
	case cfg.MaxConns > 0:
		pc.MaxConns = cfg.MaxConns
	case !strings.Contains(cfg.URL, "pool_max_conns"): // the URL's setting wins over the default
		pc.MaxConns = defaultMaxConns
	}
	set := eligo.StoreSettings{Now: cfg.Now, Host: cfg.Host, Build: cfg.Build, Logger: cfg.Logger, Timeout: cfg.Timeout}
	s := &Store{set: set.WithDefaults(), jobs: cfg.Jobs}
	if s.set.Timeout > 0 {
		// The server stops a statement, or a wait for a lock, that the
		// deadline would abandon anyway, and frees what it held.
		for _, param := range []string{"statement_timeout", "lock_timeout"} {
			if _, set := pc.ConnConfig.RuntimeParams[param]; !set {
				pc.ConnConfig.RuntimeParams[param] = strconv.FormatInt(s.set.Timeout.Milliseconds(), 10)
			}
		}
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, fmt.Errorf("postgres: connect to %s: %w", Redact(cfg.URL), err)
	}
	if err := s.Ping(ctx); err != nil {
		s.pool.Close()
		if what := misconfigured(err); what != "" { // not an outage: stop here, do not retry
			return nil, eligo.Errorf(eligo.EINVALID, "postgres: connect to %s: %s", Redact(cfg.URL), what)
		}
		return nil, fmt.Errorf("postgres: connect to %s: %w", Redact(cfg.URL), err)
	}
	return s, nil
}

// Ping reports whether the database answers within the store's timeout:
// EUNAVAILABLE when it does not.
func (s *Store) Ping(ctx context.Context) (err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// call bounds one call of the store by its timeout (see eligo.StoreCall).
func (s *Store) call(ctx context.Context) (context.Context, func(*error)) {
	return eligo.StoreCall(ctx, s.set.Timeout, unavailable)
}

// Close closes the pool, waiting for connections in use to be returned.
// It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// clock returns the store's clock reading, in UTC, to the microsecond that
// timestamptz keeps.
func (s *Store) clock() time.Time { return s.set.Now().UTC().Truncate(time.Microsecond) }
