package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/webdemo"
)

// demoPolicyFile is the policy `eligo demo` runs when --policy is not
// given, written into its data directory: the built-in rule, with ten
// minutes' grace after the promise for the orders of Amsterdam
// (webdemo.AmsterdamGracePolicyJSON), which the demo page's button
// widens.
const demoPolicyFile = "demo.policy.json"

// demoAmsterdamOrders is how many live Amsterdam orders the demo keeps: a
// few, enough to watch one change its answer with the policy.
const demoAmsterdamOrders = 3

// useDemoPolicy makes cfg run the demo's policy, from a file in its data
// directory, and turns on the page's policy buttons; a --policy of the
// user's own is left as it is, with no buttons (they would replace it).
func useDemoPolicy(cfg *serverConfig) error {
	if cfg.PolicyPath != "" {
		return nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}
	path := filepath.Join(cfg.DataDir, demoPolicyFile)
	if err := os.WriteFile(path, webdemo.AmsterdamGracePolicyJSON, 0o600); err != nil {
		return fmt.Errorf("writing the demo policy: %w", err)
	}
	cfg.PolicyPath, cfg.DemoPolicyChanges = path, true
	return nil
}

// printDemoPolicy tells the person running the demo about its policy
// change.
func printDemoPolicy(w io.Writer, cfg *serverConfig) {
	if !cfg.DemoPolicyChanges {
		return
	}
	fmt.Fprintf(w, `The policy is %s: Amsterdam's orders (%s=%s, ams-1, ams-2, ...)
may cancel ten minutes after their promise, the others at it. The page's
button "Widen the Amsterdam window" applies a new version, and their Cancel
button appears without a reload.

`, cfg.PolicyPath, webdemo.AmsterdamAttribute, webdemo.AmsterdamValue)
}

// amsterdamOrders keeps demoAmsterdamOrders live Amsterdam orders in the
// store, ams-1, ams-2 and on: one that ended (cancelled from the page) is
// replaced at the next check, every period until ctx ends. They are the
// demo's own, outside the simulated fulfillment: no driver comes, so they
// stay live until someone cancels them.
type amsterdamOrders struct {
	create  func(ctx context.Context, p *eligo.NewOrderParams) error
	isLive  func(ctx context.Context, id string) (bool, error)
	promise time.Duration
	log     *slog.Logger

	next int
	live []string
}

// fill places orders until demoAmsterdamOrders are live.
func (a *amsterdamOrders) fill(ctx context.Context) error {
	kept := a.live[:0]
	for _, id := range a.live {
		live, err := a.isLive(ctx, id)
		if err != nil {
			return err
		}
		if live {
			kept = append(kept, id)
		}
	}
	a.live = kept
	for tries := 0; len(a.live) < demoAmsterdamOrders; tries++ {
		a.next++
		now := time.Now()
		id := fmt.Sprintf("ams-%d", a.next)
		err := a.create(ctx, &eligo.NewOrderParams{
			ID: id, CustomerID: "cust-" + id, PlacedAt: now, PromisedAt: now.Add(a.promise),
			Attributes: map[string]string{webdemo.AmsterdamAttribute: webdemo.AmsterdamValue},
		})
		switch {
		case eligo.ErrorCode(err) == eligo.ECONFLICT && tries < 1000:
			continue // placed by an earlier demo on this --data-dir: the next number
		case err != nil:
			return fmt.Errorf("placing Amsterdam order %s: %w", id, err)
		}
		a.live = append(a.live, id)
	}
	return nil
}

// run fills now and every period until ctx ends; a failure is logged and
// tried again at the next period.
func (a *amsterdamOrders) run(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if err := a.fill(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("demo: the Amsterdam orders", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newAmsterdamOrders places the orders through the server's engine, as
// the service would (the attributes are set at create).
func newAmsterdamOrders(s *server, dc *demoConfig, log *slog.Logger) *amsterdamOrders {
	return &amsterdamOrders{
		create: func(ctx context.Context, p *eligo.NewOrderParams) error {
			_, _, err := s.Engine.CreateOrder(ctx, p, eligo.WhoService)
			return err
		},
		isLive: func(ctx context.Context, id string) (bool, error) {
			o, err := s.Engine.Order(ctx, id)
			if err != nil {
				return false, err
			}
			return !o.Terminal(), nil
		},
		promise: dc.Promise,
		log:     log,
	}
}
