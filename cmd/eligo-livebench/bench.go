package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eligo/eligo"
)

// bench runs the phases in order against one server.
type bench struct {
	cfg     config
	api     *api
	out     io.Writer
	ids     []string
	subs    []*subscriber
	created time.Time // placed_at of every order
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.out, format+"\n", args...)
}

func (b *bench) run(ctx context.Context) error {
	b.logf("eligo-livebench: %s, %d subscribers, GOMAXPROCS %d", b.cfg.url, b.cfg.n, runtime.GOMAXPROCS(0))
	if err := b.createOrders(ctx); err != nil {
		return err
	}
	rssBefore := rssKB(b.cfg.pid)
	if err := b.connect(ctx); err != nil {
		return err
	}
	time.Sleep(b.cfg.settle)
	rssAfter := rssKB(b.cfg.pid)
	if b.cfg.pid != 0 {
		b.logf("memory: server VmRSS %d KB before, %d KB with %d subscribers: %.2f KB per connection",
			rssBefore, rssAfter, len(b.subs), float64(rssAfter-rssBefore)/float64(len(b.subs)))
	}
	if b.cfg.policyChange {
		if err := b.policyChange(ctx); err != nil {
			return err
		}
	} else {
		if err := b.arrivals(ctx); err != nil {
			return err
		}
		if err := b.storm(ctx); err != nil {
			return err
		}
	}
	phase := "the storm"
	if b.cfg.policyChange {
		phase = "the policy change"
	}
	if b.cfg.pid != 0 {
		b.logf("memory after %s: server VmRSS %d KB", phase, rssKB(b.cfg.pid))
	}
	if err := b.api.do(ctx, "GET", "/healthz", nil, 200, nil); err != nil {
		return fmt.Errorf("the server is not healthy after %s: %w", phase, err)
	}
	b.logf("server healthy after %s", phase)
	open := 0
	for _, s := range b.subs {
		if _, closed := s.last(); closed == "" {
			open++
		}
	}
	b.logf("streams still open: %d of %d", open, len(b.subs))
	if b.cfg.hold > 0 {
		b.logf("holding the connections for %s (stop the server meanwhile to see how streams end)", b.cfg.hold)
		time.Sleep(b.cfg.hold)
		b.logf("streams by how they ended: %v", b.endings())
	}
	return nil
}

// endings counts the streams by how they ended ("open" for those that
// have not).
func (b *bench) endings() map[string]int {
	n := map[string]int{}
	for _, s := range b.subs {
		_, why := s.last()
		if why == "" {
			why = "open"
		}
		n[why]++
	}
	return n
}

// parallel runs f(i) for i in [0, n) with at most conc at once and returns
// the first error.
func parallel(ctx context.Context, n, conc int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(conc, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

func (b *bench) createOrders(ctx context.Context) error {
	start := time.Now()
	b.created = start
	b.ids = make([]string, b.cfg.n)
	for i := range b.ids {
		b.ids[i] = fmt.Sprintf("%s-%06d", b.cfg.prefix, i)
	}
	err := parallel(ctx, len(b.ids), b.cfg.apiConcurrency, func(i int) error {
		return b.api.createOrder(ctx, b.orderParams(i))
	})
	if err != nil {
		return fmt.Errorf("creating orders: %w", err)
	}
	b.logf("created %d orders in %s", len(b.ids), time.Since(start).Round(time.Millisecond))
	return nil
}

// orderParams returns what order i is created with: promised in an hour,
// its payment pending for two, so that it can take seven changes (four
// driver statuses before the doorstep and delivery, a failed and a paid
// payment); with -policy-change, a city (see policy.go).
func (b *bench) orderParams(i int) *eligo.NewOrderParams {
	p := &eligo.NewOrderParams{
		ID:               b.ids[i],
		CustomerID:       fmt.Sprintf("%s-c%06d", b.cfg.prefix, i),
		PlacedAt:         b.created,
		PromisedAt:       b.created.Add(time.Hour),
		PaymentTimeoutAt: b.created.Add(2 * time.Hour),
	}
	if b.cfg.policyChange {
		p.Attributes = map[string]string{"city": b.city(i)}
	}
	return p
}

// connect opens one stream per order and waits for every first document.
func (b *bench) connect(ctx context.Context) error {
	start := time.Now()
	b.subs = make([]*subscriber, len(b.ids))
	var failed atomic.Int64
	var firstErr atomic.Value
	_ = parallel(ctx, len(b.ids), b.cfg.dialConcurrency, func(i int) error {
		s, err := dial(ctx, b.cfg.url, b.cfg.token, b.ids[i], loopbackAddr(i, b.cfg.localAddrs), b.cfg.policyChange)
		if err != nil {
			failed.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
			return nil
		}
		b.subs[i] = s
		return nil
	})
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d subscribers failed to connect; first: %v", n, len(b.ids), firstErr.Load())
	}
	for _, s := range b.subs {
		if _, ok := s.wait(1, 30*time.Second); !ok {
			_, why := s.last()
			return fmt.Errorf("subscriber of %s got no first document: %s", s.orderID, why)
		}
	}
	b.logf("connected %d subscribers in %s; every one has its first document", len(b.subs), time.Since(start).Round(time.Millisecond))
	return nil
}

// arrivals posts one ARRIVED_AT_DOORSTEP at a time for the last -arrivals
// orders and times each until its subscriber has the new document.
func (b *bench) arrivals(ctx context.Context) error {
	n := b.cfg.arrivals
	if n == 0 {
		return nil
	}
	var lat, rtt []time.Duration
	wrong, lost := 0, 0
	for i := len(b.ids) - n; i < len(b.ids); i++ {
		body, _ := json.Marshal([]event{{EventID: fmt.Sprintf("%s-arr-%06d", b.cfg.prefix, i), OrderID: b.ids[i], Type: "driver_status", Status: "ARRIVED_AT_DOORSTEP"}})
		sent := time.Now()
		res, err := b.api.postEvents(ctx, body)
		if err != nil {
			return fmt.Errorf("posting an arrival: %w", err)
		}
		rtt = append(rtt, time.Since(sent))
		if len(res) != 1 || res[0].Outcome != "applied" {
			return fmt.Errorf("arrival for %s not applied: %+v", b.ids[i], res)
		}
		s := b.subs[i]
		at, ok := s.wait(res[0].Version, 5*time.Second)
		if !ok {
			lost++
			continue
		}
		lat = append(lat, at.Sub(sent))
		s.mu.Lock()
		doc := s.lastDoc
		s.mu.Unlock()
		if !bytes.Contains(doc, []byte(`"cancel":{"allowed":false,"reason":"driver_at_doorstep"`)) {
			wrong++
		}
	}
	b.logf("arrival -> client has the document (%d samples, all %d connected): %s; lost %d, wrong state %d",
		len(lat), len(b.subs), summarize(lat), lost, wrong)
	b.logf("  (POST /v1/events round trip alone: %s)", summarize(rtt))
	return nil
}

// stormSteps are the changes each storm order goes through, in order.
var stormSteps = []struct{ typ, status string }{
	{"driver_status", "ASSIGNED"},
	{"driver_status", "AT_STORE"},
	{"driver_status", "PICKED_UP"},
	{"payment", "FAILED"},
	{"payment", "PAID"},
	{"driver_status", "ARRIVED_AT_DOORSTEP"},
	{"driver_status", "DELIVERED"},
}

// storm posts rate changes a second for duration across the orders not
// used by arrivals, then checks latency and that nothing was lost.
func (b *bench) storm(ctx context.Context) error {
	m := len(b.ids) - b.cfg.arrivals
	total := int(float64(b.cfg.rate) * b.cfg.duration.Seconds())
	if total == 0 {
		return nil
	}
	if total > m*len(stormSteps) {
		return fmt.Errorf("a storm of %d changes needs %d orders (each takes %d changes); have %d", total, (total+len(stormSteps)-1)/len(stormSteps), len(stormSteps), m)
	}
	if m < b.cfg.batch {
		return fmt.Errorf("a batch of %d needs as many storm orders; have %d", b.cfg.batch, m)
	}
	// Event k changes order k%m to its (k/m)th step; a batch of consecutive
	// k names distinct orders. Bodies are built before the clock starts.
	nb := (total + b.cfg.batch - 1) / b.cfg.batch
	bodies := make([][]byte, nb)
	for j := range bodies {
		var evs []event
		for k := j * b.cfg.batch; k < min((j+1)*b.cfg.batch, total); k++ {
			st := stormSteps[k/m]
			evs = append(evs, event{EventID: fmt.Sprintf("%s-st-%07d", b.cfg.prefix, k), OrderID: b.ids[k%m], Type: st.typ, Status: st.status})
		}
		bodies[j], _ = json.Marshal(evs)
	}
	delayBefore, _ := b.api.pushDelay(ctx, "change")
	sent := make([]time.Time, total)
	rtts := make([]time.Duration, nb)
	version := make([]int64, total)
	var postErrs atomic.Int64
	jobs := make(chan int, nb)
	var wg sync.WaitGroup
	for range b.cfg.apiConcurrency {
		wg.Go(func() {
			for j := range jobs {
				at := time.Now()
				res, err := b.api.postEvents(ctx, bodies[j])
				rtts[j] = time.Since(at)
				if err != nil {
					postErrs.Add(1)
					continue
				}
				for i, r := range res {
					k := j*b.cfg.batch + i
					sent[k] = at
					if r.Outcome == "applied" {
						version[k] = r.Version
					}
				}
			}
		})
	}
	interval := time.Duration(float64(time.Second) * float64(b.cfg.batch) / float64(b.cfg.rate))
	start := time.Now()
	for j := range nb {
		time.Sleep(time.Until(start.Add(time.Duration(j) * interval)))
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	applied := 0
	for _, v := range version {
		if v > 0 {
			applied++
		}
	}
	b.logf("storm: %d changes in %d batches over %s: %d applied (%.0f/s), %d batches failed",
		total, nb, took.Round(time.Millisecond), applied, float64(applied)/took.Seconds(), postErrs.Load())

	// Each order's newest version, as the POSTs reported it.
	want := make([]int64, m)
	for k, v := range version {
		want[k%m] = max(want[k%m], v)
	}
	waitUntil := time.Now().Add(10 * time.Second)
	for i := 0; i < m && time.Now().Before(waitUntil); i++ {
		b.subs[i].wait(want[i], time.Until(waitUntil))
	}

	var lat []time.Duration
	late := 0
	for k, v := range version {
		if v == 0 {
			continue
		}
		at, ok := b.subs[k%m].reached(v)
		if !ok {
			late++
			continue
		}
		lat = append(lat, at.Sub(sent[k]))
	}
	b.logf("storm push latency, POST -> client has that version or newer (%d changes): %s; never arrived %d", len(lat), summarize(lat), late)
	b.logf("  (POST /v1/events round trip of a batch of %d: %s)", b.cfg.batch, summarize(rtts))
	if delayAfter, err := b.api.pushDelay(ctx, "change"); err == nil && delayBefore != nil {
		b.logf("  (server, change reaching the hub -> written to the socket: %s)", delayAfter.since(delayBefore))
	}
	return b.verify(ctx, m)
}

// verify compares each storm subscriber's last document with the store.
func (b *bench) verify(ctx context.Context, m int) error {
	var mismatched, closed atomic.Int64
	var example atomic.Value
	err := parallel(ctx, m, b.cfg.apiConcurrency, func(i int) error {
		o, err := b.api.order(ctx, b.ids[i])
		if err != nil {
			return err
		}
		got, why := b.subs[i].last()
		if why != "" {
			closed.Add(1)
		}
		if got != o.Version {
			mismatched.Add(1)
			example.CompareAndSwap(nil, fmt.Sprintf("%s: subscriber at version %d, store at %d", b.ids[i], got, o.Version))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading orders back: %w", err)
	}
	b.logf("after the storm: %d of %d subscribers' last document differs from the store (lost), %d streams closed",
		mismatched.Load(), m, closed.Load())
	if e := example.Load(); e != nil {
		b.logf("  e.g. %s", e)
	}
	return nil
}
