package loadgen

import (
	"errors"
	"fmt"
	"time"
)

// Config is what a run is made of: where the server is, how to act as its
// callers, and the script to play.
type Config struct {
	// BaseURL is the server, such as http://127.0.0.1:8080.
	BaseURL string
	// ServiceToken creates orders and posts events.
	ServiceToken string
	// CustomerSecret signs the customer tokens of the simulated customers,
	// who read and cancel their own orders with them.
	CustomerSecret []byte

	// OrderPrefix and CustomerPrefix start the ids the run creates: order
	// n is OrderPrefix+n, its customer CustomerPrefix+n.
	OrderPrefix, CustomerPrefix string

	// Orders is how many orders are placed, evenly over Ramp.
	Orders int
	// FirstOrder is the number of the run's first order less one: orders
	// are numbered FirstOrder+1 to FirstOrder+Orders, so that runs one
	// after another (eligo demo) place new orders.
	FirstOrder int
	Ramp       time.Duration
	// Promise is the delivery promise, the article's ten minutes
	// compressed; drivers arrive between half and one and a half times it.
	Promise time.Duration
	// Poll is how often a map page reads eligibility (the article's 30
	// seconds, compressed).
	Poll time.Duration
	// The shares of orders whose customer watches the chat page (the live
	// stream) instead of the map, presses Cancel, pays after the order is
	// placed (with a payment timeout of half the promise; a quarter of
	// them fail once first), and never pays.
	ChatShare, CancelShare, PayLaterShare, UnpaidShare float64
	// Seed makes the script repeatable.
	Seed uint64

	// Conns is how many map-page reads run at once; WriteConns how many
	// creates and how many cancels. Partitions is how many event streams
	// post batches of at most BatchMax events, one batch at a time each,
	// with each order's events in one stream and in order.
	Conns, WriteConns, Partitions, BatchMax int
	// MaxLive caps the live streams open at once; chat viewers beyond it
	// read by polling.
	MaxLive int
	// Timeout bounds each API request.
	Timeout time.Duration
	// ClockTolerance is how far the server's clock may be from the
	// generator's: as_of may lie that far outside a request's span, and a
	// 304 or a cancel may be decided at any instant of the request widened
	// by it.
	ClockTolerance time.Duration
	// ReadsYield, when positive, holds map pages back while any write (a
	// create, an event, a cancel) is more than this late against the
	// script: only an eighth of Conns reads run at once then. On a machine
	// too small for the script the writes keep to it and the reads take
	// what is left (the poll lag in the report says how much that was).
	ReadsYield time.Duration
	// PushTimeout is how long a chat viewer waits, after the order's last
	// write was acknowledged, for its document on the stream before that
	// counts as lost.
	PushTimeout time.Duration

	// Progress, when set, is called about once a second while the run
	// lasts.
	Progress func(Snapshot)
	// ServerPID, when set, is the server's process id on this machine: the
	// report gives its resident memory, read from /proc.
	ServerPID int
}

// withDefaults returns c with every unset field filled in.
func (c Config) withDefaults() Config {
	setIf := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	setIf(&c.Conns, 64)
	setIf(&c.WriteConns, 32)
	setIf(&c.Partitions, 4)
	setIf(&c.BatchMax, 500)
	setIf(&c.MaxLive, 10000)
	if c.Orders == 0 {
		c.Orders = 300
	}
	if c.Promise == 0 {
		c.Promise = 20 * time.Second
	}
	if c.Poll == 0 {
		c.Poll = c.Promise / 20
	}
	if c.Timeout == 0 {
		c.Timeout = time.Minute
	}
	if c.ClockTolerance == 0 {
		c.ClockTolerance = 50 * time.Millisecond
	}
	if c.PushTimeout == 0 {
		c.PushTimeout = 5 * time.Second
	}
	if c.OrderPrefix == "" {
		c.OrderPrefix = "load-"
	}
	if c.CustomerPrefix == "" {
		c.CustomerPrefix = c.OrderPrefix + "cust-"
	}
	return c
}

// validate reports the first setting that cannot work.
func (c *Config) validate() error {
	switch {
	case c.BaseURL == "":
		return errors.New("loadgen: the server's URL is required")
	case c.ServiceToken == "":
		return errors.New("loadgen: a service token is required to create orders and post events")
	case len(c.CustomerSecret) == 0:
		return errors.New("loadgen: the customer-token secret is required to act as the customers")
	case c.Orders < 1 || c.FirstOrder < 0 || c.Promise <= 0 || c.Poll <= 0 || c.Ramp < 0:
		return errors.New("loadgen: orders, promise and poll must be positive, ramp not negative")
	case c.Promise < 20*time.Millisecond:
		return fmt.Errorf("loadgen: a promise of %s is too short to script; use at least 20ms", c.Promise)
	case c.BatchMax < 1 || c.BatchMax > 1000:
		return fmt.Errorf("loadgen: a batch holds 1 to 1000 events (the API's limit); got %d", c.BatchMax)
	}
	for _, s := range []float64{c.ChatShare, c.CancelShare, c.PayLaterShare, c.UnpaidShare} {
		if s < 0 || s > 1 {
			return fmt.Errorf("loadgen: shares lie between 0 and 1; got %g", s)
		}
	}
	if c.PayLaterShare+c.UnpaidShare > 1 {
		return errors.New("loadgen: the pay-later and unpaid shares add up to more than 1")
	}
	return nil
}
