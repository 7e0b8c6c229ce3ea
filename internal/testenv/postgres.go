package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresSchemaURL creates an empty schema on the test PostgreSQL server
// (see PostgresURL) and returns a connection URL whose search_path is that
// schema, so that a test's tables are its own. The schema is dropped with
// everything in it when the test ends; register the cleanups that close
// connections to it after calling this, so they run first.
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "eligo_test_" + hex.EncodeToString(b[:])
	exec(t, base, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { exec(t, base, `DROP SCHEMA `+schema+` CASCADE`) })
	return WithSearchPath(t, base, schema)
}

// WithSearchPath returns connURL with search_path set to schema.
func WithSearchPath(t testing.TB, connURL, schema string) string {
	t.Helper()
	if !strings.Contains(connURL, "://") {
		return connURL + " search_path=" + schema
	}
	u, err := url.Parse(connURL)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", PostgresURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(t testing.TB, connURL, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL (%s): %v", PostgresURLEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
