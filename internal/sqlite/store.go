package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/eligo/eligo"
)

// Config configures a Store.
type Config struct {
	// Path is the database file, created if missing. Required; an
	// in-memory database is not supported, because the reader pool could
	// not see it.
	Path string
	// Now is the store's clock: it stamps updated_at, version and
	// processed-event times, and is the instant given to eligo.Update.Apply.
	// Defaults to time.Now.
	Now func() time.Time
	// Host is recorded in every version. Defaults to os.Hostname.
	Host string
	// Build is recorded in every version. Defaults to the binary's VCS
	// revision or module version, from its build info.
	Build string
	// Logger receives migration notices. Defaults to discarding.
	Logger *slog.Logger
	// Timeout bounds every call of the store (eligo.StoreCall): past it the
	// call fails with EUNAVAILABLE. It is also the busy_timeout: how long a
	// connection waits for another process's write lock before SQLITE_BUSY,
	// which is EUNAVAILABLE as well. Zero means eligo.DefaultStoreTimeout;
	// negative means no deadline (and a busy_timeout of 10 s).
	Timeout time.Duration
	// Jobs, when set, is called for every write (CreateOrder,
	// UpdateOrders) that applied a change, once, with all of its changes,
	// inside the write's savepoint, to insert the River jobs they cause
	// (see eligo.JobsHook). When nil, no job is inserted.
	Jobs JobsFunc
}

// Store is the SQLite OrderStore. It is safe for concurrent use.
type Store struct {
	set  eligo.StoreSettings // with its defaults
	jobs JobsFunc

	writer *sql.DB      // one connection; transactions BEGIN IMMEDIATE
	group  *groupCommit // runs CreateOrder and UpdateOrders on writer
	reader *sql.DB      // query-only connections
	ws     writeStmts
	rs     readStmts

	closeOnce sync.Once
	closeErr  error
}

var _ eligo.OrderStore = (*Store)(nil)

// Open opens (creating if needed) the database at cfg.Path, applies the
// pending migrations and prepares the statements. The caller must Close the
// store. An invalid Config is EINVALID.
func Open(ctx context.Context, cfg *Config) (*Store, error) {
	s, err := newStore(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.open(ctx, cfg.Path); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func newStore(cfg *Config) (*Store, error) {
	if cfg == nil || cfg.Path == "" {
		return nil, eligo.Errorf(eligo.EINVALID, "sqlite: a database path is required")
	}
	if cfg.Path == ":memory:" || strings.HasPrefix(cfg.Path, "file:") || strings.ContainsRune(cfg.Path, '?') {
		return nil, eligo.Errorf(eligo.EINVALID, "sqlite: path %q is not supported; give a plain file path without '?' (in-memory databases and URIs are not supported)", cfg.Path)
	}
	set := eligo.StoreSettings{Now: cfg.Now, Host: cfg.Host, Build: cfg.Build, Logger: cfg.Logger, Timeout: cfg.Timeout}
	s := &Store{set: set.WithDefaults(), jobs: cfg.Jobs}
	s.group = newGroupCommit(s)
	return s, nil
}

func (s *Store) open(ctx context.Context, path string) error {
	var err error
	if s.writer, err = sql.Open("sqlite", dsn(path, true, s.busyTimeout())); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)
	if err := s.migrate(ctx); err != nil {
		return err
	}
	if err := s.migrateRiver(ctx); err != nil {
		return err
	}
	if s.autoVacuum(ctx) != autoVacuumIncremental {
		s.set.Logger.InfoContext(ctx, "sqlite: the file has no incremental auto-vacuum (it predates it): space that retention frees is reused, "+
			"not given back to the disk, until it is VACUUMed once (docs/production.md, Data lifetime)", "path", path)
	}
	if s.reader, err = sql.Open("sqlite", dsn(path, false, s.busyTimeout())); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.reader.SetMaxOpenConns(n)
	s.reader.SetMaxIdleConns(n)
	if err := s.ws.prepare(ctx, s.writer); err != nil {
		return err
	}
	return s.rs.prepare(ctx, s.reader)
}

// dsn returns the data source name of the writer or of a reader. The
// pragmas run on every new connection.
func dsn(path string, writer bool, busyTimeout time.Duration) string {
	q := url.Values{}
	if writer {
		// Takes effect only on a new file, before its first table: the
		// retention job then gives freed pages back (ReclaimSpace).
		q.Add("_pragma", "auto_vacuum(INCREMENTAL)")
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "1")
	}
	return path + "?" + q.Encode()
}

// busyTimeout is how long a connection waits for another one's write lock
// before it fails with SQLITE_BUSY: the store's timeout, or 10 s without one.
func (s *Store) busyTimeout() time.Duration {
	if s.set.Timeout > 0 {
		return s.set.Timeout
	}
	return 10 * time.Second
}

// Ping reports whether the database answers a query within the store's
// timeout: EUNAVAILABLE when it does not.
func (s *Store) Ping(ctx context.Context) (err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	var one int
	if err := s.reader.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// call bounds one call of the store by its timeout (see eligo.StoreCall).
func (s *Store) call(ctx context.Context) (context.Context, func(*error)) {
	return eligo.StoreCall(ctx, s.set.Timeout, unavailable)
}

// Close closes the store's connections. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		errs = append(errs, s.ws.close(), s.rs.close())
		if s.reader != nil {
			errs = append(errs, s.reader.Close())
		}
		if s.writer != nil {
			errs = append(errs, s.writer.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return s.closeErr
}
