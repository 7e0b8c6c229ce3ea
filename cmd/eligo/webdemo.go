package main

import (
	"fmt"
	"io"
	"net/http"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/webdemo"
)

// demoPage returns the demo page (internal/webdemo), which the API routes
// under /demo/, when cfg.DemoPage is set; otherwise nil.
//
// The page's endpoint hands a customer token for any order to anyone who
// asks. `eligo demo` turns it on; `eligo serve` only with --demo-page, which
// must never be set on a deployment that holds real customers' orders.
//
// With cfg.DemoPolicyChanges, the page also offers the Amsterdam policy
// change (webdemo.AmsterdamChanges), applied through the engine as `eligo
// policy apply` is.
func demoPage(cfg serverConfig, orders eligo.OrderStore, eng *engine.Engine, customerSecret []byte) (http.Handler, error) {
	if !cfg.DemoPage {
		return nil, nil
	}
	cfg.Logger.Warn("the demo page is on at " + webdemo.Prefix + ": it hands customer tokens to anyone; never enable it on a real deployment")
	wc := webdemo.Config{
		Orders:         orders,
		Decider:        eng, // the list shows the engine's own answers
		CustomerSecret: customerSecret,
		Logger:         cfg.Logger,
	}
	if cfg.DemoPolicyChanges {
		changes, err := webdemo.AmsterdamChanges()
		if err != nil {
			return nil, err
		}
		wc.Policies, wc.PolicyChanges = eng, changes
	}
	return webdemo.New(wc)
}

// printDemoPage tells the person running `eligo demo` where to watch it.
func printDemoPage(w io.Writer, s *server) {
	fmt.Fprintf(w, "Watch an order in a browser (the map, the chat and its Cancel button):\n  %s%s\n\n", s.URL, webdemo.Prefix)
}
