package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eligo/eligo/internal/auth"
)

// Run plays the script against cfg.BaseURL until every order's story is
// over or ctx ends, checks every answer, and returns the report. Only a
// configuration that cannot work is an error; what the server did,
// including wrong answers, is in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	return r.run(ctx), nil
}

// runner is one run: the orders, the workers that act on them, and what
// they counted.
type runner struct {
	cfg      Config
	api      *Client
	liveHTTP *http.Client
	orders   []*order

	creates, cancels, polls, timers *pool
	pumps                           []*pump
	liveSlots                       chan struct{}
	liveOff                         atomic.Pointer[string] // why chat pages poll

	st        *runStats
	remaining atomic.Int64
	allDone   chan struct{}
	reading   atomic.Int64   // map-page reads running
	bg        sync.WaitGroup // chat pages
}

func newRunner(cfg Config) (*runner, error) {
	st := &runStats{}
	st.create.name, st.events.name, st.elig.name, st.cancel.name, st.live.name =
		"POST /v1/orders", "POST /v1/events", "GET /v1/orders/{id}/eligibility", "POST /v1/orders/{id}/cancel", "GET /v1/orders/{id}/live"
	conns := cfg.Conns + 2*cfg.WriteConns + cfg.Partitions + 16
	r := &runner{
		cfg:       cfg,
		api:       NewClient(cfg.BaseURL, conns, cfg.Timeout),
		liveHTTP:  &http.Client{Transport: newTransport(16)},
		creates:   newPool(cfg.WriteConns, &st.createLag),
		cancels:   newPool(cfg.WriteConns, &st.cancelLag),
		polls:     newPool(cfg.Conns, &st.pollLag),
		timers:    newPool(2, &histogram{}),
		liveSlots: make(chan struct{}, cfg.MaxLive),
		st:        st,
		allDone:   make(chan struct{}),
	}
	for range cfg.Partitions {
		r.pumps = append(r.pumps, newPump(r))
	}
	// Plans and tokens are made up front, so that the ramp is not slowed
	// by minting.
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x10ad))
	ttl := 24 * time.Hour
	for i := range cfg.Orders {
		n := strconv.Itoa(cfg.FirstOrder + i + 1)
		o := &order{id: cfg.OrderPrefix + n, customer: cfg.CustomerPrefix + n, plan: makePlan(i, &cfg, rng), writesDone: make(chan struct{})}
		tok, err := auth.MintCustomerToken(cfg.CustomerSecret, o.customer, ttl, time.Now())
		if err != nil {
			return nil, fmt.Errorf("loadgen: minting customer tokens: %w", err)
		}
		o.token = tok
		r.orders = append(r.orders, o)
	}
	r.remaining.Store(int64(len(r.orders)))
	return r, nil
}

func (r *runner) run(ctx context.Context) *Report {
	start := time.Now()
	cpuStart, _ := cpuTime(os.Getpid())
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var workers sync.WaitGroup
	for _, p := range []*pool{r.creates, r.cancels, r.polls, r.timers} {
		workers.Go(func() { p.run(runCtx) })
	}
	for _, p := range r.pumps {
		workers.Go(func() { p.run(runCtx) })
	}
	for _, o := range r.orders {
		r.creates.at(start.Add(o.plan.placeAt), func(time.Time) { r.create(runCtx, o) })
	}
	progressDone := make(chan struct{})
	if r.cfg.Progress != nil {
		go func() {
			defer close(progressDone)
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
					r.cfg.Progress(r.snapshot(time.Since(start)))
				}
			}
		}()
	} else {
		close(progressDone)
	}
	rss := newRSSWatch(r.cfg.ServerPID)
	rss.start(runCtx)
	select {
	case <-r.allDone:
	case <-ctx.Done():
	}
	elapsed := time.Since(start)
	stop()
	workers.Wait()
	r.bg.Wait()
	<-progressDone
	// Connections dialed but never used would hold up the server's
	// graceful shutdown for seconds.
	r.api.http.CloseIdleConnections()
	r.liveHTTP.CloseIdleConnections()
	for _, o := range r.orders {
		r.check(o, false) // what the end of the run cut short
	}
	return r.report(start, elapsed, cpuStart, rss.result())
}

// create places the order and, once it is acknowledged, starts its story:
// its events, its cancel, its page.
func (r *runner) create(ctx context.Context, o *order) {
	placed := time.Now().UTC().Truncate(time.Millisecond)
	an := anchors{promisedAt: placed.Add(o.plan.promise)}
	body := map[string]any{"id": o.id, "customer_id": o.customer, "placed_at": placed, "promised_at": an.promisedAt}
	if o.plan.paymentTimeout > 0 {
		an.paymentTimeoutAt = placed.Add(o.plan.paymentTimeout)
		body["payment_timeout_at"] = an.paymentTimeoutAt
	}
	sent := time.Now()
	var ans orderAnswer
	code, err := r.api.Do(ctx, http.MethodPost, "/v1/orders", r.cfg.ServiceToken, body, &ans)
	acked := time.Now()
	if !r.result(ctx, &r.st.create, code, err, acked.Sub(sent), http.StatusCreated) {
		r.orderDone()
		return
	}
	if ans.Version != 1 {
		r.wrongNow(kindHistory, "%s: the create answered version %d, not 1", o.id, ans.Version)
	}
	o.placed, o.anchors = placed, an
	o.addWrite(write{kind: writeCreate, sent: sent, acked: acked, outcome: outcomeApplied, version: 1})
	r.st.placed.Add(1)

	pending := int32(1)
	if o.plan.cancelAt > 0 {
		pending++
	}
	o.pending.Store(pending)
	if len(o.plan.events) > 0 {
		r.pumps[o.partition(len(r.pumps))].push(o, 0)
	} else {
		r.timers.at(placed.Add(o.plan.end), func(time.Time) { o.writeDone() })
	}
	if o.plan.cancelAt > 0 {
		r.cancels.at(placed.Add(o.plan.cancelAt), func(time.Time) { r.cancel(ctx, o) })
	}
	if o.plan.chat {
		r.timers.at(placed.Add(o.plan.openAt), func(time.Time) { r.bg.Go(func() { r.chat(ctx, o) }) })
	} else {
		r.polls.at(placed.Add(o.plan.firstPoll), func(due time.Time) { r.poll(ctx, o, due) })
	}
}

// partition returns the event stream of the order, by a hash of its id.
func (o *order) partition(n int) int {
	h := uint32(2166136261)
	for i := 0; i < len(o.id); i++ {
		h = (h ^ uint32(o.id[i])) * 16777619
	}
	return int(h % uint32(n))
}

// poll is one map page: it reads every Poll until the order is over, then
// reads once more and is done.
func (r *runner) poll(ctx context.Context, o *order, due time.Time) {
	if !r.gateRead(ctx) {
		return
	}
	defer r.reading.Add(-1)
	final := o.over()
	r.read(ctx, o)
	if final {
		r.finish(o)
		return
	}
	if ctx.Err() != nil {
		return
	}
	next := due.Add(r.cfg.Poll)
	if now := time.Now(); next.Before(now) {
		next = now
	}
	r.polls.at(next, func(due time.Time) { r.poll(ctx, o, due) })
}

// gateRead admits one map-page read. While any write is more than
// ReadsYield late, at most an eighth of Conns reads run at once, so the
// writes keep to the script and the reads take what is left. It returns
// false at the end of ctx; otherwise the caller decrements r.reading when
// the read is done.
func (r *runner) gateRead(ctx context.Context) bool {
	slow := int64(max(r.cfg.Conns/8, 1))
	for {
		n := r.reading.Add(1)
		if r.cfg.ReadsYield <= 0 || n <= slow || !r.writesBehind(r.cfg.ReadsYield) {
			return true
		}
		r.reading.Add(-1)
		r.st.yields.Add(1)
		if !sleepCtx(ctx, time.Millisecond) {
			return false
		}
	}
}

// writesBehind reports whether any write is more than d late.
func (r *runner) writesBehind(d time.Duration) bool {
	if r.creates.behind(d) || r.cancels.behind(d) {
		return true
	}
	for _, p := range r.pumps {
		if p.behind(d) {
			return true
		}
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// read asks for the order's eligibility as its customer, with the ETag of
// the document the page holds, and keeps the answer for the check.
func (r *runner) read(ctx context.Context, o *order) {
	o.mu.Lock()
	etag, version, ans := o.viewETag, o.viewVersion, o.viewAns
	o.mu.Unlock()
	var doc Document
	sent := time.Now()
	code, hdr, err := r.api.eligibility(ctx, o.id, o.token, etag, &doc)
	recv := time.Now()
	if !r.result(ctx, &r.st.elig, code, err, recv.Sub(sent), http.StatusOK, http.StatusNotModified) {
		return
	}
	r.st.reads.Add(1)
	ob := readObs{sent: sent, recv: recv, maxAge: hdr.maxAge}
	if code == http.StatusNotModified {
		r.st.notModified.Add(1)
		if etag == "" {
			r.wrongNow(kindNotModified, "%s: 304 to a request without If-None-Match", o.id)
			return
		}
		ob.notModified, ob.version, ob.ans = true, version, ans
	} else {
		if doc.OrderID != o.id {
			r.wrongNow(kindRead, "%s: the eligibility of order %q came back", o.id, doc.OrderID)
		}
		ob.version, ob.asOf, ob.ans, ob.etag = doc.Version, doc.AsOf, doc.cancelAnswer(), hdr.etag
	}
	o.mu.Lock()
	o.reads = append(o.reads, ob)
	if !ob.notModified {
		o.viewETag, o.viewVersion, o.viewAns = ob.etag, ob.version, ob.ans
	}
	o.mu.Unlock()
}

// cancel presses the button as the customer.
func (r *runner) cancel(ctx context.Context, o *order) {
	defer o.writeDone()
	w := write{kind: writeCancel, sent: time.Now()}
	var ans orderAnswer
	code, err := r.api.Do(ctx, http.MethodPost, "/v1/orders/"+o.id+"/cancel", o.token, nil, &ans)
	acked := time.Now()
	switch {
	case !r.result(ctx, &r.st.cancel, code, err, acked.Sub(w.sent), http.StatusOK, http.StatusConflict):
		w.outcome = outcomeUnanswered
	case code == http.StatusOK:
		w.acked, w.outcome, w.version = acked, outcomeApplied, ans.Version
		r.st.won.Add(1)
	default:
		w.acked, w.outcome, w.reason = acked, outcomeRefused, internReason(ans.Reason)
		r.st.refused.Add(1)
	}
	o.addWrite(w)
}

// result counts a request's outcome on its endpoint and reports whether it
// was answered with one of the wanted statuses. A request cut short by the
// end of the run counts for nothing.
func (r *runner) result(ctx context.Context, ep *endpoint, code int, err error, took time.Duration, want ...int) bool {
	if ctx.Err() != nil {
		if err != nil || code == 0 {
			r.st.cut.Add(1)
			return false
		}
	}
	if err == nil {
		for _, w := range want {
			if code == w {
				ep.record(code, took, false)
				return true
			}
		}
	}
	ep.record(code, took, true)
	r.st.errors.add(errorKind(code, err), 1)
	return false
}

// runStats is what a run counts while it lasts.
type runStats struct {
	create, events, elig, cancel, live endpoint

	errors    counts // by kind
	wrong     counts // by kind
	samplesMu sync.Mutex
	samples   []string

	placed, finished, shown, hidden, won, refused atomic.Int64
	reads, notModified, unchecked, cut            atomic.Int64
	streams, pushDocs, yields, expiries           atomic.Int64
	eventsSent                                    atomic.Int64 // in answered batches

	pushLat, pushAfterAck, boundaryLat      histogram
	pushBeforeAck                           atomic.Int64
	createLag, cancelLag, pollLag, eventLag histogram
}
