// Command eligo-livebench measures the live push of a running eligo server
// from a separate process: it creates its own orders, opens one WebSocket
// per order to /v1/orders/{id}/live with a service token, and reports
//
//   - the server's resident memory per connection (VmRSS of -pid before and
//     after connecting),
//   - arrival latency: POST of an ARRIVED_AT_DOORSTEP event until the
//     watching client has the new document, one at a time (p50/p99),
//   - a storm: -rate changes per second for -duration across the
//     subscribers, in batches of POST /v1/events (p50/p99 from the POST to
//     the client having that version or a newer one), then checks that every
//     subscriber's last document has the version the store has.
//
// Usage:
//
//	eligo serve --addr 127.0.0.1:8080 --data-dir /tmp/x &   # prints its service token
//	eligo-livebench -url http://127.0.0.1:8080 -token TOKEN -pid $! -n 19000
//
// With -policy-change it runs, instead of the arrivals and the storm, a
// policy change: it applies a policy that widens the cancel window of a
// segment holding -segment-share of the orders (PUT /v1/policy), times
// from PUT returning to each subscriber's first document under the new
// policy version (p50/p99), and checks every one against eligo.Decide
// (lost and wrong documents); see policy.go.
//
// One local address has ports for about 28,000 streams to one server:
// -local-addrs 4 opens them from 127.0.0.1 to 127.0.0.4 in turn, for
// 100,000 (scripts/device-bench.sh sets it from the subscribers).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "eligo-livebench:", err)
		os.Exit(1)
	}
}

// config is the bench's flags.
type config struct {
	url, token string
	pid        int
	n          int
	prefix     string

	dialConcurrency, apiConcurrency int
	localAddrs                      int
	settle                          time.Duration

	arrivals int

	rate     int
	duration time.Duration
	batch    int

	hold time.Duration

	policyChange bool
	segmentShare float64
	policyWait   time.Duration
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eligo-livebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.url, "url", envOr(getenv, "ELIGO_URL", "http://127.0.0.1:8080"), "base URL of the eligo server (env ELIGO_URL)")
	fs.StringVar(&c.token, "token", getenv("ELIGO_SERVICE_TOKEN"), "service token (env ELIGO_SERVICE_TOKEN)")
	fs.IntVar(&c.pid, "pid", 0, "process id of the server, to read its resident memory; 0 skips it")
	fs.IntVar(&c.n, "n", 15000, "subscribers, one order each")
	fs.StringVar(&c.prefix, "prefix", "lb"+strconv.FormatInt(time.Now().Unix(), 36), "prefix of the order, customer and event ids this run creates")
	fs.IntVar(&c.dialConcurrency, "dial-concurrency", 64, "WebSocket handshakes in flight")
	fs.IntVar(&c.localAddrs, "local-addrs", 1, "spread the streams over this many local addresses, 127.0.0.1 to 127.0.0.N (-url on 127.0.0.1): one address has ports for about 28,000 streams to one server")
	fs.IntVar(&c.apiConcurrency, "api-concurrency", 16, "HTTP requests in flight (creates, event batches, checks)")
	fs.DurationVar(&c.settle, "settle", 5*time.Second, "wait after connecting before reading the server's memory")
	fs.IntVar(&c.arrivals, "arrivals", 200, "arrival latency samples, one event at a time (orders kept out of the storm)")
	fs.IntVar(&c.rate, "rate", 10000, "storm: order changes per second")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "storm: how long")
	fs.IntVar(&c.batch, "batch", 100, "storm: events per POST /v1/events")
	fs.DurationVar(&c.hold, "hold", 0, "keep the connections open this long at the end")
	fs.BoolVar(&c.policyChange, "policy-change", false, "instead of the arrivals and the storm, apply a policy that widens the cancel window of a segment (PUT /v1/policy) and time its push to every subscriber")
	fs.Float64Var(&c.segmentShare, "segment-share", 0.25, "policy change: the share of the orders in the widened segment (city AMS; the rest BER)")
	fs.DurationVar(&c.policyWait, "policy-wait", 30*time.Second, "policy change: how long every subscriber may take to get the new document before it counts as lost")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	switch {
	case c.token == "":
		return errors.New("a service token is required: -token or ELIGO_SERVICE_TOKEN (eligo serve prints it)")
	case c.n < 1 || c.arrivals < 0 || c.arrivals >= c.n:
		return fmt.Errorf("-n %d and -arrivals %d: need n >= 1 and 0 <= arrivals < n", c.n, c.arrivals)
	case c.localAddrs < 1 || c.localAddrs > 250:
		return fmt.Errorf("-local-addrs %d: need 1..250", c.localAddrs)
	case c.batch < 1 || c.batch > 1000 || c.rate < 0:
		return fmt.Errorf("-batch must be 1..1000 (the API's limit) and -rate >= 0")
	case c.segmentShare < 0 || c.segmentShare > 1:
		return fmt.Errorf("-segment-share %v: need 0..1", c.segmentShare)
	}
	c.url = strings.TrimSuffix(c.url, "/")
	b := &bench{cfg: c, api: newAPI(c.url, c.token, c.apiConcurrency), out: stdout}
	return b.run(ctx)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
