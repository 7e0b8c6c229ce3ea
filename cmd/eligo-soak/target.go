package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/bulk"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/sqlite"
)

// target is one store the soak lays down and serves: an embedded SQLite
// data directory, or a PostgreSQL database of its own.
type target interface {
	// create makes the empty store and opens it with the schema applied.
	create(ctx context.Context) (loadStore, error)
	// open opens the store as it is, to read it back.
	open(ctx context.Context) (eligo.OrderStore, error)
	// settle is run after the load, with the store closed.
	settle(ctx context.Context) error
	// serveArgs are the flags of `eligo serve` and `eligo migrate` that
	// name the store.
	serveArgs() []string
	// size is the store's disk footprint in bytes, and the part of it that
	// is free for reuse (-1 when the store does not say).
	size(ctx context.Context) (total, free int64, err error)
	count(ctx context.Context) (counts, error)
	// remove deletes the store.
	remove(ctx context.Context) error
}

// loadStore is a store with a bulk load.
type loadStore interface {
	eligo.OrderStore
	BulkLoad(ctx context.Context, rows *bulk.Rows) error
}

// sqliteTarget is a data directory with the embedded store's file.
type sqliteTarget struct{ dir string }

func (t *sqliteTarget) path() string { return filepath.Join(t.dir, "eligo.db") }
func (t *sqliteTarget) serveArgs() []string {
	return []string{"--data-dir", t.dir}
}

func (t *sqliteTarget) create(ctx context.Context) (loadStore, error) {
	if err := os.RemoveAll(t.dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(t.dir, 0o700); err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, &sqlite.Config{Path: t.path(), Build: "soak", Host: "soak", Timeout: -1})
}

func (t *sqliteTarget) open(ctx context.Context) (eligo.OrderStore, error) {
	return sqlite.Open(ctx, &sqlite.Config{Path: t.path(), Build: "soak", Host: "soak"})
}

func (t *sqliteTarget) settle(context.Context) error { return nil }

func (t *sqliteTarget) size(ctx context.Context) (total, free int64, err error) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(t.path() + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return 0, 0, err
		}
		total += fi.Size()
	}
	err = t.query(ctx, func(db *sql.DB) error {
		var pages, pageSize int64
		if err := db.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&pages); err != nil {
			return err
		}
		if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
			return err
		}
		free = pages * pageSize
		return nil
	})
	return total, free, err
}

func (t *sqliteTarget) count(ctx context.Context) (c counts, err error) {
	err = t.query(ctx, func(db *sql.DB) error {
		return db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM versions),
			(SELECT count(*) FROM processed_events)`).Scan(&c.Orders, &c.Versions, &c.Events)
	})
	return c, err
}

// query runs fn on a plain connection to the file (the store has no
// counts to give).
func (t *sqliteTarget) query(_ context.Context, fn func(*sql.DB) error) error {
	db, err := sql.Open("sqlite", t.path())
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

func (t *sqliteTarget) remove(context.Context) error { return os.RemoveAll(t.dir) }

// postgresTarget is a database of its own, named db, on the server of
// admin (a URL to any database there, used to create and drop it).
type postgresTarget struct {
	admin, db string
	dir       string // the serve's data directory (its secrets come from the environment)
}

// url is the URL of the target's database.
func (t *postgresTarget) url() string {
	u, err := url.Parse(t.admin)
	if err != nil {
		return ""
	}
	u.Path = "/" + t.db
	return u.String()
}

func (t *postgresTarget) serveArgs() []string {
	return []string{"--data-dir", t.dir, "--postgres-url", t.url()}
}

func (t *postgresTarget) exec(ctx context.Context, connURL string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", postgres.Redact(connURL), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

func (t *postgresTarget) create(ctx context.Context) (loadStore, error) {
	if _, err := url.Parse(t.admin); err != nil {
		return nil, errors.New("-postgres-url is not a URL; expected postgres://user@host:port/database")
	}
	if err := os.MkdirAll(t.dir, 0o700); err != nil {
		return nil, err
	}
	name := pgx.Identifier{t.db}.Sanitize()
	if err := t.exec(ctx, t.admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`, `CREATE DATABASE `+name); err != nil {
		return nil, err
	}
	s, err := postgres.Open(ctx, &postgres.Config{URL: t.url(), Build: "soak", Host: "soak", Timeout: -1})
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (t *postgresTarget) open(ctx context.Context) (eligo.OrderStore, error) {
	return postgres.Open(ctx, &postgres.Config{URL: t.url(), Build: "soak", Host: "soak"})
}

// settle vacuums and analyzes the loaded tables, as autovacuum would have
// over the month the history stands for.
func (t *postgresTarget) settle(ctx context.Context) error {
	return t.exec(ctx, t.url(), `VACUUM (ANALYZE) orders, versions, processed_events`)
}

func (t *postgresTarget) size(ctx context.Context) (total, free int64, err error) {
	conn, err := pgx.Connect(ctx, t.url())
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&total)
	return total, -1, err
}

func (t *postgresTarget) count(ctx context.Context) (c counts, err error) {
	conn, err := pgx.Connect(ctx, t.url())
	if err != nil {
		return c, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM versions),
		(SELECT count(*) FROM processed_events)`).Scan(&c.Orders, &c.Versions, &c.Events)
	return c, err
}

func (t *postgresTarget) remove(ctx context.Context) error {
	err := t.exec(ctx, t.admin, `DROP DATABASE IF EXISTS `+pgx.Identifier{t.db}.Sanitize()+` WITH (FORCE)`)
	return errors.Join(err, os.RemoveAll(t.dir))
}

// dbName is the database of a PostgreSQL target of kind ("history").
func dbName(prefix, kind string) string { return strings.ToLower(prefix + "_" + kind) }
