// Command eligo-soak measures what a long history costs a running eligo
// server. It lays down a history directly in a store, in big bulk
// transactions (package bulk: the rows CreateOrder and UpdateOrders would
// have written, made by the root package's rules): by default 5,000,000
// orders over 30 simulated days, of which the last 60,000 are live and the
// rest were delivered, each with its create, two or three driver events
// and their processed event ids. Beside it, a fresh store holds only the
// same 60,000 live orders. For each store it starts the real `eligo serve`
// binary and reports
//
//   - start-to-ready: from the process's start to the first 200 of /readyz,
//   - the server's resident memory (VmRSS) once ready and after the reads,
//   - eligibility read latency (p50/p99, one request at a time, each with
//     its customer's token) of live orders and of cold ones (ended hours
//     to days ago), each answer checked against the document built from
//     the store's order (same body and ETag),
//   - disk size before and after one pass of the retention job, when the
//     binary has one (`serve -h` lists --retain-orders); otherwise it says
//     "retention: not available in this build".
//
// It is a measurement, not a pass/fail test. Usage:
//
//	go build -o /tmp/eligo ./cmd/eligo
//	go run ./cmd/eligo-soak -eligo /tmp/eligo -orders 1000000            # SQLite
//	go run ./cmd/eligo-soak -eligo /tmp/eligo -store postgres \
//	    -postgres-url 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
//
// On PostgreSQL it creates its own databases (-postgres-db-prefix, then
// _history and _fresh) on that server and drops them at the end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "eligo-soak:", err)
		os.Exit(1)
	}
}

// config is the soak's flags.
type config struct {
	binary      string
	store       string
	postgresURL string
	dbPrefix    string
	dir         string
	keep        bool

	orders, live, days int
	batch              int
	reads              int
	seed               uint64
	serviceToken       bool

	retainOrders, retainVersions, retainEventIDs time.Duration

	readyTimeout, retentionTimeout time.Duration
	jsonPath                       string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eligo-soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.binary, "eligo", getenv("ELIGO_SOAK_BINARY"), "the eligo binary under test (env ELIGO_SOAK_BINARY); empty builds ./cmd/eligo of the current module into -dir")
	fs.StringVar(&c.store, "store", "sqlite", "the store: sqlite or postgres")
	fs.StringVar(&c.postgresURL, "postgres-url", getenv("ELIGO_SOAK_POSTGRES_URL"), "with -store postgres: a URL to any database of the server, to create the soak's own databases with (env ELIGO_SOAK_POSTGRES_URL)")
	fs.StringVar(&c.dbPrefix, "postgres-db-prefix", "eligo_soak", "with -store postgres: the databases are PREFIX_history and PREFIX_fresh, dropped first if they exist")
	fs.StringVar(&c.dir, "dir", "", "working directory (data directories, logs, the built binary); empty means a new temporary one")
	fs.BoolVar(&c.keep, "keep", false, "keep the stores and logs at the end")
	fs.IntVar(&c.orders, "orders", 5_000_000, "orders in the history store, live ones included")
	fs.IntVar(&c.live, "live", 60_000, "live (open) orders, the newest; the fresh store holds only these")
	fs.IntVar(&c.days, "days", 30, "days the ended orders are spread over, ending now")
	fs.IntVar(&c.batch, "batch", 20_000, "orders per bulk transaction")
	fs.IntVar(&c.reads, "reads", 2000, "eligibility reads of each kind (live, cold), each of a different order")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the choice of orders to read")
	fs.BoolVar(&c.serviceToken, "service-token", false, "read with the service token instead of each order's customer's token")
	fs.DurationVar(&c.retainOrders, "retain-orders", 15*24*time.Hour, "with retention: serve's --retain-orders for the retention pass")
	fs.DurationVar(&c.retainVersions, "retain-versions", 0, "with retention: serve's --retain-versions for the retention pass (0 keeps versions of kept orders)")
	fs.DurationVar(&c.retainEventIDs, "retain-event-ids", 7*24*time.Hour, "with retention: serve's --retain-event-ids for the retention pass")
	fs.DurationVar(&c.readyTimeout, "ready-timeout", 20*time.Minute, "how long a start may take to /readyz 200")
	fs.DurationVar(&c.retentionTimeout, "retention-timeout", 30*time.Minute, "how long the first retention pass may take")
	fs.StringVar(&c.jsonPath, "json", "", "also write the results as JSON to this file (- for stdout)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := c.validate(); err != nil {
		return err
	}
	return newSoak(c, stdout).run(ctx)
}

func (c *config) validate() error {
	switch {
	case c.store != "sqlite" && c.store != "postgres":
		return fmt.Errorf("-store %q: expected sqlite or postgres", c.store)
	case c.store == "postgres" && c.postgresURL == "":
		return errors.New("-store postgres needs -postgres-url (or ELIGO_SOAK_POSTGRES_URL)")
	case c.live < 1 || c.orders < c.live:
		return fmt.Errorf("-orders %d and -live %d: need 1 <= live <= orders", c.orders, c.live)
	case c.days < 1:
		return fmt.Errorf("-days %d: need at least 1", c.days)
	case c.batch < 1 || c.reads < 1:
		return errors.New("-batch and -reads must be at least 1")
	case c.retainOrders < time.Hour || c.retainEventIDs < time.Hour || c.retainVersions < 0:
		return errors.New("-retain-orders and -retain-event-ids must be at least 1h, -retain-versions 0 or more")
	}
	return nil
}
