package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/eligo/eligo/internal/auth"
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

// runDemo starts the embedded server and a simulated fulfillment against it
// (the load generator's engine, at a demo's scale), printing a live
// summary. It fails if any answer was wrong.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var dc demoConfig
	f := newFlagSet("demo")
	dc.flags(f)
	if err := f.parse(args, getenv, stdout, demoAbout); err != nil {
		return err
	}
	cfg := &dc.Server
	cfg.DemoPage = true // the web page at /demo/ (cmd/eligo/webdemo.go)
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "eligo-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	cfg.Logger = newLogger(stderr, cfg.LogLevel)
	if cfg.LogLevel == "info" {
		cfg.Logger = newLogger(stderr, "warn") // the summary is the demo's output
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
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()

	printDemoIntro(stdout, s, &dc)
	printDemoPage(stdout, s)
	report, err := loadgen.Run(ctx, demoLoad(s, &dc, demoProgress(stdout)))
	if err != nil {
		return err
	}
	summary := report.Snapshot()
	fmt.Fprintf(stdout, "\nsummary: %s\n", summary.Line())
	for _, w := range report.WrongSamples {
		fmt.Fprintf(stdout, "  wrong: %s\n", w)
	}
	if report.Wrong == 0 && dc.Duration == 0 {
		fmt.Fprintf(stdout, "Simulation done; eligo keeps serving on %s until Ctrl-C.\n", s.URL)
	}
	<-ctx.Done()
	if err := <-served; err != nil {
		return err
	}
	if report.Wrong > 0 {
		return fmt.Errorf("demo: %d wrong answers", report.Wrong)
	}
	return nil
}

// demoAbout is the help of `eligo demo`.
const demoAbout = `Run the API on a new embedded store and a simulated fulfillment against it on
a compressed clock, printing a live summary; watch an order at /demo/. It
fails if any answer was wrong.`

// flags declares the flags of `eligo demo` into c.
func (c *demoConfig) flags(f *flagSet) {
	c.Server.processFlags(f, "127.0.0.1:8080", "listen address of the API")
	c.Server.DataDir = ""
	f.setDefaultText("data-dir", "a new temporary directory")
	c.Server.apiFlags(f)
	d := f.scoped("ELIGO_DEMO_")
	d.Count(&c.Orders, "orders", 300, 1, "orders to simulate")
	d.Duration(&c.Promise, "promise", 20*time.Second, time.Millisecond, "delivery promise (the article's 10 minutes, compressed)")
	d.Duration(&c.Ramp, "ramp", 10*time.Second, 0, "orders are placed evenly over this span")
	d.Duration(&c.Poll, "poll", time.Second, time.Millisecond, "how often a map page polls eligibility (the article's 30 s, compressed)")
	d.Duration(&c.Duration, "duration", 0, 0, "stop by itself after this long (0: keep serving until Ctrl-C)")
	d.Seed(&c.Seed, "seed", uint64(time.Now().UnixNano()), "random seed of the simulation")
	f.setDefaultText("seed", "random")
}

// demoLoad is the load generator's script at the demo's scale: a third of
// the customers press Cancel, a fifth watch the chat page.
func demoLoad(s *server, dc *demoConfig, progress func(loadgen.Snapshot)) loadgen.Config {
	return loadgen.Config{
		BaseURL:        s.URL,
		ServiceToken:   s.Secrets.ServiceTokens[0],
		CustomerSecret: []byte(s.Secrets.CustomerSecret),
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
	tok, _ := auth.MintCustomerToken([]byte(s.Secrets.CustomerSecret), "cust-1", time.Hour, time.Now())
	fmt.Fprintf(w, `eligo demo: %d orders, each promised in %s, placed over %s.
Drivers arrive between half and one and a half times the promise; customers
poll every %s and some press Cancel near the driver's arrival.

Try it while it runs:
  export SVC=%s
  curl -s -H "Authorization: Bearer $SVC" %s/v1/orders/demo-1/eligibility
  curl -s -H "Authorization: Bearer $SVC" %s/v1/orders/demo-1/versions
  curl -s -H "Authorization: Bearer %s" %s/v1/orders/demo-1/eligibility   # as customer cust-1
  curl -s %s/metrics | grep ^eligo_

`, dc.Orders, dc.Promise, dc.Ramp, dc.Poll, s.Secrets.ServiceTokens[0], s.URL, s.URL, tok, s.URL, s.URL)
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
