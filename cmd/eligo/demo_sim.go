package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eligo/eligo/internal/auth"
)

// simulation drives orders through their life against a running server and
// checks every answer against its own ground truth.
type simulation struct {
	api     *apiClient
	secrets secrets
	cfg     demoConfig
	sum     *demoSummary
}

// demoSummary counts what the customers saw. Every field is updated
// atomically while the simulation runs.
type demoSummary struct {
	Placed, Shown, Hidden, Reads, Errors atomic.Int64
	CancelsWon, CancelsRefused, Wrong    atomic.Int64
	mu                                   sync.Mutex
	firstWrong                           []string
}

func (s *demoSummary) wrong(format string, args ...any) {
	s.Wrong.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.firstWrong) < 5 {
		s.firstWrong = append(s.firstWrong, fmt.Sprintf(format, args...))
	}
}

func (s *demoSummary) line() string {
	return fmt.Sprintf("placed %d | buttons shown %d, hidden by arrival %d | cancels won %d, refused %d | reads %d, errors %d | wrong answers %d",
		s.Placed.Load(), s.Shown.Load(), s.Hidden.Load(), s.CancelsWon.Load(), s.CancelsRefused.Load(), s.Reads.Load(), s.Errors.Load(), s.Wrong.Load())
}

func (s *demoSummary) final() string {
	out := "summary: " + s.line()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.firstWrong {
		out += "\n  wrong: " + w
	}
	return out
}

func newSimulation(baseURL string, sec secrets, cfg demoConfig) *simulation {
	return &simulation{api: newAPIClient(baseURL), secrets: sec, cfg: cfg, sum: &demoSummary{}}
}

// Run simulates every order to its end (or until ctx ends), printing the
// summary line once a second, and returns the summary.
func (sim *simulation) Run(ctx context.Context, w io.Writer) *demoSummary {
	rng := rand.New(rand.NewPCG(sim.cfg.Seed, 1))
	var wg sync.WaitGroup
	start := time.Now()
	for i := 1; i <= sim.cfg.Orders; i++ {
		o := sim.plan(i, rng, start)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sim.runOrder(ctx, o)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-done:
			return sim.sum
		case <-tick.C:
			if isTerminal(w) {
				fmt.Fprintf(w, "\r%s", sim.sum.line())
			} else if n++; n%5 == 0 {
				fmt.Fprintln(w, sim.sum.line())
			}
		}
	}
}

// simOrder is one order's script and what happened to it.
type simOrder struct {
	id, customer string
	token        string
	placeAt      time.Time     // when the order is placed
	promise      time.Duration // promised_at - placed_at
	steps        []simStep     // driver events, in order, as offsets from placing
	cancelAt     time.Duration // when the customer presses Cancel; 0 = never
	rng          *rand.Rand

	mu     sync.Mutex
	writes []simWrite // every acknowledged write, checked at the end
	cancel *simCancel // the customer's cancel, if pressed
}

type simStep struct {
	at     time.Duration
	status string
}

// simWrite is one write the server acknowledged: an event or the create.
type simWrite struct {
	driver  int    // driver status index after it (for an applied event)
	outcome string // applied or stale
	version int64  // when applied
	acked   time.Time
}

// simCancel is the outcome of pressing Cancel.
type simCancel struct {
	code           int
	reason         string
	version        int64
	sent, received time.Time
}

// Driver statuses as indexes: 4 is ARRIVED_AT_DOORSTEP, 5 DELIVERED.
const (
	arrivedIndex   = 4
	deliveredIndex = 5
)

func (sim *simulation) plan(i int, rng *rand.Rand, start time.Time) *simOrder {
	p := sim.cfg.Promise
	frac := func(lo, hi float64) time.Duration { return time.Duration((lo + rng.Float64()*(hi-lo)) * float64(p)) }
	arrive := frac(0.5, 1.5)
	o := &simOrder{
		id:       fmt.Sprintf("demo-%d", i),
		customer: fmt.Sprintf("cust-%d", i),
		placeAt:  start.Add(time.Duration(float64(sim.cfg.Ramp) * float64(i-1) / float64(sim.cfg.Orders))),
		promise:  p,
		steps: []simStep{
			{arrive / 10, "ASSIGNED"}, {arrive * 3 / 10, "AT_STORE"}, {arrive * 6 / 10, "PICKED_UP"},
			{arrive, "ARRIVED_AT_DOORSTEP"}, {arrive + p/10, "DELIVERED"},
		},
		rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(i))),
	}
	// A third of the customers press Cancel, most of them near the arrival:
	// the last moments before it and just after.
	if rng.IntN(3) == 0 {
		o.cancelAt = arrive + time.Duration(rng.NormFloat64()*float64(p)/20)
		if o.cancelAt <= 0 {
			o.cancelAt = time.Millisecond
		}
	}
	o.token, _ = auth.MintCustomerToken([]byte(sim.secrets.CustomerSecret), o.customer, 2*time.Hour, time.Now())
	return o
}

func (sim *simulation) runOrder(ctx context.Context, o *simOrder) {
	if !sleepUntil(ctx, o.placeAt) {
		return
	}
	svc := sim.secrets.ServiceTokens[0]
	// Milliseconds, as order services send them: as_of has millisecond
	// precision, so the checks are exact only on millisecond boundaries.
	placed := time.Now().UTC().Truncate(time.Millisecond)
	body := map[string]any{"id": o.id, "customer_id": o.customer, "placed_at": placed, "promised_at": placed.Add(o.promise)}
	if code, err := sim.api.do(ctx, http.MethodPost, "/v1/orders", svc, body, nil); err != nil || (code != http.StatusCreated && code != http.StatusOK) {
		sim.sum.Errors.Add(1)
		return
	}
	sim.sum.Placed.Add(1)
	o.addWrite(simWrite{outcome: "applied", version: 1, acked: time.Now()})
	promisedAt := placed.Add(o.promise)

	polls := &orderPolls{}
	pollCtx, stopPolling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sim.poll(pollCtx, o, promisedAt, polls)
	}()
	var cancelDone chan struct{}
	if o.cancelAt > 0 {
		cancelDone = make(chan struct{})
		go func() {
			defer close(cancelDone)
			if sleepUntil(ctx, placed.Add(o.cancelAt)) {
				sim.cancel(ctx, o)
			}
		}()
	}
	sim.drive(ctx, o, placed)
	if cancelDone != nil {
		<-cancelDone
	}
	// One last read after everything settled, then stop polling.
	sim.read(ctx, o, promisedAt, polls)
	stopPolling()
	wg.Wait()
	sim.check(o, promisedAt, polls)
}

// drive sends the driver's events at their moments, one at a time, as
// fulfillment would; it stops once the order is over.
func (sim *simulation) drive(ctx context.Context, o *simOrder, placed time.Time) {
	svc := sim.secrets.ServiceTokens[0]
	for i, st := range o.steps {
		if !sleepUntil(ctx, placed.Add(st.at)) {
			return
		}
		ev := map[string]any{"event_id": fmt.Sprintf("%s-%d", o.id, i), "order_id": o.id, "type": "driver_status", "status": st.status, "occurred_at": time.Now().UTC()}
		var res eventResults
		code, err := sim.api.do(ctx, http.MethodPost, "/v1/events", svc, ev, &res)
		if err != nil || code != http.StatusOK || len(res.Results) != 1 {
			sim.sum.Errors.Add(1)
			return
		}
		r := res.Results[0]
		o.addWrite(simWrite{driver: i + 1, outcome: r.Outcome, version: r.Version, acked: time.Now()})
		if r.Outcome != "applied" {
			return // the order is over (cancelled); check() judges whether rightly
		}
	}
}

// cancel presses the button and keeps the outcome for check().
func (sim *simulation) cancel(ctx context.Context, o *simOrder) {
	c := &simCancel{sent: time.Now()}
	var answer struct {
		Version int64  `json:"version"`
		Reason  string `json:"reason"`
	}
	code, err := sim.api.do(ctx, http.MethodPost, "/v1/orders/"+o.id+"/cancel", o.token, nil, &answer)
	c.received = time.Now()
	if err != nil || (code != http.StatusOK && code != http.StatusConflict) {
		sim.sum.Errors.Add(1)
		return
	}
	c.code, c.reason, c.version = code, answer.Reason, answer.Version
	if code == http.StatusOK {
		sim.sum.CancelsWon.Add(1)
	} else {
		sim.sum.CancelsRefused.Add(1)
	}
	o.mu.Lock()
	o.cancel = c
	o.mu.Unlock()
}

func (o *simOrder) addWrite(w simWrite) {
	o.mu.Lock()
	o.writes = append(o.writes, w)
	o.mu.Unlock()
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
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
