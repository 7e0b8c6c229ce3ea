// Package testenv tells tests where the servers of the production backends
// (PostgreSQL, Redis) run, and decides what a test does when one is not
// configured: it skips with a message saying which variable to set, except
// under CI (CI=true), where a missing service is a failure, never a skip.
//
// .ci/run starts the services and sets the variables.
//
// It also holds what many packages' tests need, once: a fake clock
// (Clock), a log buffer safe for the code's goroutines (SyncBuffer), a
// metric read from a registry (Metric), an in-memory network for tests in
// a testing/synctest bubble (PipeListener), a TCP proxy that pauses or
// cuts the connections to a server (Proxy) and the goroutine-leak check of
// a TestMain (VerifyNoLeaks). The whole server wired for a test, and the
// switch between store kinds, are in the sibling package stack, which
// imports the packages whose tests import this one.
//
// It is imported only by tests.
package testenv

import (
	"os"
	"testing"
)

// Variables that name the test services.
const (
	PostgresURLEnv = "ELIGO_TEST_POSTGRES_URL" // e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable
	RedisAddrEnv   = "ELIGO_TEST_REDIS_ADDR"   // e.g. 127.0.0.1:6379
)

// PostgresURL returns the URL of the test PostgreSQL server from
// ELIGO_TEST_POSTGRES_URL. When it is unset the test is skipped, or fails
// under CI.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return require(t, PostgresURLEnv, "PostgreSQL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

// RedisAddr returns the address of the test Redis server from
// ELIGO_TEST_REDIS_ADDR. When it is unset the test is skipped, or fails
// under CI.
func RedisAddr(t testing.TB) string {
	t.Helper()
	return require(t, RedisAddrEnv, "Redis", "127.0.0.1:6379")
}

// InCI reports whether the tests run under CI (CI=true), where every
// service must be there.
func InCI() bool { return os.Getenv("CI") == "true" }

func require(t testing.TB, env, service, example string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		return v
	}
	if InCI() {
		t.Fatalf("%s is unset: under CI (CI=true) the %s tests must run; .ci/run starts %s and sets it", env, service, service)
	}
	t.Skipf("%s is unset: skipping the %s tests (set it, e.g. %s=%s, to run them)", env, service, env, example)
	return ""
}
