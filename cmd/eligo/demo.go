package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/loadgen"
)

// demoConfig is the configuration of `eligo demo`: the server and the
// simulated fulfillment.
type demoConfig struct {
	Server   serverConfig
	Orders   int
	Promise  time.Duration // the compressed "ten minutes"
	Ramp     time.Duration // orders are placed evenly over this span
	Poll     time.Duration // the map page's compressed "every 30 seconds"
	Duration time.Duration // stop after this long; 0 serves until interrupted
	Seed     uint64
}

// runDemo starts the embedded server, its River workers and a simulated
// fulfillment against it (the load generator's engine, at a demo's scale)
// that places a new batch of orders every period until ctx ends or
// --duration passes, printing a live summary. It fails if any answer was
// wrong.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var dc demoConfig
	f := newFlagSet("demo")
	dc.flags(f)
	if err := f.parse(args, getenv, stdout, demoAbout); err != nil {
		return err
	}
	if err := dc.Server.CustomerTokens.check(); err != nil {
		return &usageError{"demo", err}
	}
	cfg := &dc.Server
	cfg.DemoPage = true // the web page at /demo/ (cmd/eligo/webdemo.go)
	// The workers expire unpaid orders and work the payment re-checks.
	cfg.Jobs = jobsConfig{Workers: true, MaxWorkers: jobs.DefaultMaxWorkers, WebhookMaxAttempts: jobs.DefaultWebhookMaxAttempts,
		Retention: cfg.Jobs.Retention, RetentionInterval: cfg.Jobs.RetentionInterval}
	dirNote := ""
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "eligo-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir, dirNote = dir, " (a new one, removed when the demo stops; --data-dir keeps it)"
	}
	if err := useDemoPolicy(cfg); err != nil {
		return err
	}
	cfg.Logger = cfg.Log.logger(stderr)
	if cfg.Log.Level == "info" {
		cfg.Logger = newLogger(stderr, "warn", cfg.Log.Format) // the summary is the demo's output
	}
	if dc.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dc.Duration)
		defer cancel()
	}

	s, err := startServer(ctx, *cfg, getenv)
	if err != nil {
		return err
	}
	// The simulation stops first, then the server: no request of the
	// simulation meets a closed listener.
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	served := make(chan error, 1)
	go func() { served <- s.Serve(serveCtx) }()

	dataDir, _ := filepath.Abs(cfg.DataDir)
	fmt.Fprintf(stdout, "Data directory: %s%s\n", dataDir, dirNote)
	printDemoIntro(stdout, s, &dc)
	printDemoPage(stdout, s)
	printDemoPolicy(stdout, cfg)
	amsterdamDone := make(chan struct{})
	go func() {
		defer close(amsterdamDone)
		if cfg.DemoPolicyChanges {
			newAmsterdamOrders(s, &dc, cfg.Logger).run(ctx, demoPeriod(&dc))
		}
	}()
	total, err := runDemoBatches(ctx, s, &dc, demoProgress(stdout))
	<-amsterdamDone
	stopServing()
	if serr := <-served; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsummary: %s | expired unpaid %d\n", total.Line(), total.expired)
	for _, w := range total.wrongSamples {
		fmt.Fprintf(stdout, "  wrong: %s\n", w)
	}
	if total.Wrong > 0 {
		return fmt.Errorf("demo: %d wrong answers", total.Wrong)
	}
	return nil
}

// demoTotal is the sum of the demo's batches.
type demoTotal struct {
	loadgen.Snapshot
	expired      int64 // orders the server's workers expired at their payment timeout
	wrongSamples []string
}

// add adds one batch's figures to t. Push latencies are the latest
// batch's that measured any.
func (t *demoTotal) add(s loadgen.Snapshot) {
	t.Planned += s.Planned
	t.Placed += s.Placed
	t.Finished += s.Finished
	t.Shown += s.Shown
	t.Hidden += s.Hidden
	t.CancelsWon += s.CancelsWon
	t.CancelsRefused += s.CancelsRefused
	t.Reads += s.Reads
	t.Requests += s.Requests
	t.Errors += s.Errors
	t.Wrong += s.Wrong
	if s.Pushes > 0 {
		t.Pushes, t.PushP50, t.PushP99 = t.Pushes+s.Pushes, s.PushP50, s.PushP99
	}
}

// demoPeriod is how often the demo places a new batch of orders: once the
// last is placed, and no sooner than a promise after the last batch began,
// so that about two batches are under way at once.
func demoPeriod(dc *demoConfig) time.Duration { return max(dc.Ramp, dc.Promise) }

// runDemoBatches places batch after batch of dc.Orders orders, numbered on
// (demo-1 to demo-300, then demo-301 ...), one every demoPeriod, until ctx
// ends, and returns their summed reports. progress gets the running sum
// about once a second.
func runDemoBatches(ctx context.Context, s *server, dc *demoConfig, progress func(loadgen.Snapshot)) (demoTotal, error) {
	var (
		mu       sync.Mutex
		latest   []loadgen.Snapshot // of each batch, by number
		reports  []*loadgen.Report
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	sum := func() demoTotal {
		mu.Lock()
		defer mu.Unlock()
		var t demoTotal
		for _, s := range latest {
			t.add(s)
		}
		t.Elapsed = time.Since(start)
		return t
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	next := time.NewTimer(0)
	defer next.Stop()
	for batch := 0; ; batch++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			var t demoTotal
			for _, r := range reports {
				t.add(r.Snapshot())
				t.expired += r.Orders.Expired
				t.wrongSamples = append(t.wrongSamples, r.WrongSamples...)
			}
			return t, firstErr
		case <-tick.C:
			progress(sum().Snapshot)
			batch--
			continue
		case <-next.C:
		}
		next.Reset(demoPeriod(dc))
		mu.Lock()
		latest = append(latest, loadgen.Snapshot{})
		mu.Unlock()
		lc := demoLoad(s, dc, func(snap loadgen.Snapshot) {
			mu.Lock()
			latest[batch] = snap
			mu.Unlock()
		})
		lc.FirstOrder, lc.Seed = batch*dc.Orders, dc.Seed+uint64(batch)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := loadgen.Run(ctx, lc)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			reports = append(reports, rep)
			latest[batch] = rep.Snapshot()
		}()
	}
}

// demoAbout is the help of `eligo demo`.
const demoAbout = `Run the API and its job workers on a new embedded store and a simulated
fulfillment against it on a compressed clock, printing where its data lives,
a service and a customer token, and a live summary; watch an order at
/demo/. A new batch of --orders is placed every --ramp or --promise,
whichever is longer, until Ctrl-C or --duration. It fails if any answer was
wrong. Without --policy it runs its own policy, written to its data
directory, in which Amsterdam's orders (ams-1, ams-2, ...) may cancel ten
minutes after their promise; the page's button widens that window live.`

// flags declares the flags of `eligo demo` into c.
func (c *demoConfig) flags(f *flagSet) {
	c.Server.processFlags(f, "127.0.0.1:8080", "listen address of the API")
	c.Server.DataDir = ""
	f.setDefaultText("data-dir", "a new temporary directory")
	c.Server.apiFlags(f)
	c.Server.Jobs.retentionFlags(f)
	d := f.scoped("ELIGO_DEMO_")
	d.Count(&c.Orders, "orders", 300, 1, "orders of each batch; a new batch starts every --ramp or --promise, whichever is longer")
	d.Duration(&c.Promise, "promise", 20*time.Second, time.Millisecond, "delivery promise (the article's 10 minutes, compressed)")
	d.Duration(&c.Ramp, "ramp", 10*time.Second, 0, "orders are placed evenly over this span")
	d.Duration(&c.Poll, "poll", time.Second, time.Millisecond, "how often a map page polls eligibility (the article's 30 s, compressed)")
	d.Duration(&c.Duration, "duration", 0, 0, "stop by itself after this long (0: keep placing orders until Ctrl-C)")
	d.Seed(&c.Seed, "seed", uint64(time.Now().UnixNano()), "random seed of the simulation")
	f.setDefaultText("seed", "random")
}

// demoLoad is the load generator's script at the demo's scale: a third of
// the customers press Cancel, a fifth watch the chat page.
func demoLoad(s *server, dc *demoConfig, progress func(loadgen.Snapshot)) loadgen.Config {
	return loadgen.Config{
		BaseURL:        s.URL,
		ServiceToken:   s.Secrets.ServiceTokens[0],
		CustomerSecret: s.Secrets.signingSecret(),
		OrderPrefix:    "demo-",
		CustomerPrefix: "cust-",
		Orders:         dc.Orders,
		Ramp:           dc.Ramp,
		Promise:        dc.Promise,
		Poll:           dc.Poll,
		ChatShare:      0.2,
		CancelShare:    1.0 / 3,
		PayLaterShare:  0.2,
		UnpaidShare:    0.02,
		Seed:           dc.Seed,
		Conns:          32,
		WriteConns:     16,
		Progress:       progress,
	}
}

// demoProgress prints the summary line once a second on a terminal, where
// it is redrawn in place, and every five seconds elsewhere.
func demoProgress(w io.Writer) func(loadgen.Snapshot) {
	n := 0
	tty := isTerminal(w)
	return func(s loadgen.Snapshot) {
		if tty {
			fmt.Fprintf(w, "\r%s", s.Line())
		} else if n++; n%5 == 0 {
			fmt.Fprintln(w, s.Line())
		}
	}
}

func printDemoIntro(w io.Writer, s *server, dc *demoConfig) {
	tok, _ := auth.MintCustomerToken(s.Secrets.signingSecret(), "cust-1", time.Hour, time.Now())
	fmt.Fprintf(w, `eligo demo: a new batch of %d orders every %s, each placed over %s and
promised in %s, until Ctrl-C. Drivers arrive between half and one and a half
times the promise; customers poll every %s and some press Cancel near the
driver's arrival; unpaid orders expire at their payment timeout.

Try it while it runs (order demo-1 belongs to customer cust-1):
  export SVC=%s
  export CUST=%s   # customer cust-1, valid 1h
  curl -s -H "Authorization: Bearer $SVC" %s/v1/orders/demo-1/eligibility
  curl -s -H "Authorization: Bearer $SVC" %s/v1/orders/demo-1/versions
  curl -s -H "Authorization: Bearer $CUST" %s/v1/orders/demo-1/eligibility
  curl -s %s/metrics | grep ^eligo_

`, dc.Orders, demoPeriod(dc), dc.Ramp, dc.Promise, dc.Poll, s.Secrets.ServiceTokens[0], tok, s.URL, s.URL, s.URL, s.URL)
}

// isTerminal reports whether w is a terminal, where the summary line is
// redrawn in place; elsewhere it is printed every few seconds.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
