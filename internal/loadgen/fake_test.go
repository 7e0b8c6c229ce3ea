package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eligibility"
)

// fakeServer is a small, linearizable eligo: the v1 API over a map under
// one mutex, with the domain's own rules, and an SSE live stream. Its bug
// knob makes it answer wrong in one chosen way, so the tests can show that
// the checker catches each.
type fakeServer struct {
	bug    string
	live   bool
	policy *eligo.Policy

	mu     sync.Mutex
	orders map[string]*fakeOrder
	events map[string]bool
}

type fakeOrder struct {
	eligo.Order
	prev     eligo.Order            // the version before the last change
	watchers map[chan struct{}]bool // live streams, poked on every change
}

// The bugs the fake can have.
const (
	bugNone              = ""
	bugAllowedAtDoorstep = "allowed_at_doorstep" // eligibility ignores the driver's arrival
	bugCancelAtDoorstep  = "cancel_at_doorstep"  // a cancel wins after the arrival
	bugStaleRead         = "stale_read"          // eligibility serves the version before the last change
	bugBlind304          = "blind_304"           // any If-None-Match gets a 304
	bugStreamStalls      = "stream_stalls"       // the stream says nothing from the arrival on
	bugEarlyButton       = "early_button"        // the button shows a second before promised_at
	bugUntilMissing      = "until_missing"       // until is always null
	bugLostVersion       = "version_skips"       // events skip a version number
)

func newFakeServer(t *testing.T, bug string, live bool) *httptest.Server {
	t.Helper()
	f := &fakeServer{bug: bug, live: live, policy: eligo.DefaultPolicy(), orders: map[string]*fakeOrder{}, events: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/orders", f.create)
	mux.HandleFunc("POST /v1/events", f.postEvents)
	mux.HandleFunc("GET /v1/orders/{id}/eligibility", f.eligibility)
	mux.HandleFunc("POST /v1/orders/{id}/cancel", f.cancel)
	mux.HandleFunc("GET /v1/orders/{id}/live", f.stream)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"status":"ok"}`) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeServer) create(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID               string    `json:"id"`
		CustomerID       string    `json:"customer_id"`
		PlacedAt         time.Time `json:"placed_at"`
		PromisedAt       time.Time `json:"promised_at"`
		PaymentTimeoutAt time.Time `json:"payment_timeout_at"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, 400, map[string]any{"detail": err.Error()})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := eligo.NewOrder(&eligo.NewOrderParams{ID: req.ID, CustomerID: req.CustomerID, PlacedAt: req.PlacedAt, PromisedAt: req.PromisedAt, PaymentTimeoutAt: req.PaymentTimeoutAt}, time.Now())
	if err != nil {
		writeJSON(w, 400, map[string]any{"detail": err.Error()})
		return
	}
	f.orders[o.ID] = &fakeOrder{Order: o, prev: o, watchers: map[chan struct{}]bool{}}
	writeJSON(w, 201, map[string]any{"id": o.ID, "version": o.Version, "status": o.Status.String()})
}

// change moves an order to next as a new version and tells its watchers.
func (f *fakeServer) change(fo *fakeOrder, next eligo.Order, step int64) {
	fo.prev = fo.Order
	next.Version = fo.Version + step
	fo.Order = next
	for c := range fo.watchers {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func (f *fakeServer) postEvents(w http.ResponseWriter, r *http.Request) {
	var reqs []eventRequest
	if err := json.NewDecoder(r.Body).Decode(&reqs); err != nil {
		writeJSON(w, 400, map[string]any{"detail": err.Error()})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var res EventResults
	for _, e := range reqs {
		out := EventResult{EventID: e.EventID}
		fo, ok := f.orders[e.OrderID]
		switch {
		case f.events[e.EventID]:
			out.Outcome = outcomeDuplicate
		case !ok:
			out.Outcome, out.Error = outcomeRejected, "no such order"
		default:
			next, err := eligo.ApplyEvent(fo.Order, &eligo.Event{EventID: e.EventID, OrderID: e.OrderID, Type: e.Type, Status: e.Status, OccurredAt: e.OccurredAt})
			switch {
			case err != nil:
				out.Outcome, out.Error = outcomeRejected, err.Error()
			case eligo.SameState(&next, &fo.Order):
				out.Outcome = outcomeStale
			default:
				step := int64(1)
				if f.bug == bugLostVersion && e.Status == "PICKED_UP" {
					step = 2
				}
				f.change(fo, next, step)
				f.events[e.EventID] = true
				out.Outcome, out.Version = outcomeApplied, fo.Version
			}
		}
		res.Results = append(res.Results, out)
	}
	writeJSON(w, 200, res)
}

// document builds the eligibility document of o at now, bugs included.
func (f *fakeServer) document(fo *fakeOrder, now time.Time) eligibility.Document {
	o := fo.Order
	if f.bug == bugStaleRead {
		o = fo.prev
	}
	decideAt := now
	if f.bug == bugEarlyButton {
		decideAt = now.Add(time.Second)
	}
	if f.bug == bugAllowedAtDoorstep && o.DriverStatus == eligo.DriverArrivedAtDoorstep {
		o.DriverStatus = eligo.DriverPickedUp
	}
	d := eligibility.Build(&o, f.policy, "", decideAt)
	d.AsOf = now.UTC()
	if f.bug == bugUntilMissing {
		for i := range d.Actions {
			d.Actions[i].Until = time.Time{}
		}
	}
	return d
}

// lookup returns the order the path names, or answers 404. The caller
// holds f.mu.
func (f *fakeServer) lookup(w http.ResponseWriter, r *http.Request) (*fakeOrder, bool) {
	fo, ok := f.orders[r.PathValue("id")]
	if !ok {
		writeJSON(w, 404, map[string]any{"detail": "no such order"})
	}
	return fo, ok
}

func (f *fakeServer) eligibility(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fo, ok := f.lookup(w, r)
	if !ok {
		return
	}
	d := f.document(fo, time.Now())
	etag := d.ETag()
	w.Header().Set("Etag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == etag || f.bug == bugBlind304) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(d.AppendJSON(nil), '\n'))
}

func (f *fakeServer) cancel(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fo, ok := f.lookup(w, r)
	if !ok {
		return
	}
	o := fo.Order
	if f.bug == bugCancelAtDoorstep && o.DriverStatus == eligo.DriverArrivedAtDoorstep {
		o.DriverStatus = eligo.DriverPickedUp
	}
	if _, err := eligo.Cancel(o, f.policy, time.Now()); err != nil {
		writeJSON(w, 409, map[string]any{"status": 409, "detail": err.Error(), "reason": eligo.ErrorReason(err)})
		return
	}
	next := fo.Order
	next.Status = eligo.StatusCancelled
	f.change(fo, next, 1)
	writeJSON(w, 200, map[string]any{"id": fo.ID, "version": fo.Version, "status": "CANCELLED"})
}

// stream serves the live stream as Server-Sent Events: the current
// document at once, then a document on every change and at every until.
func (f *fakeServer) stream(w http.ResponseWriter, r *http.Request) {
	if !f.live {
		writeJSON(w, 404, map[string]any{"detail": "no such route"})
		return
	}
	f.mu.Lock()
	fo, ok := f.lookup(w, r)
	if !ok {
		f.mu.Unlock()
		return
	}
	poke := make(chan struct{}, 1)
	fo.watchers[poke] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(fo.watchers, poke)
		f.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		f.mu.Lock()
		now := time.Now()
		d := f.document(fo, now)
		skip := f.bug == bugStreamStalls && fo.DriverStatus >= eligo.DriverArrivedAtDoorstep
		f.mu.Unlock()
		if !skip {
			fmt.Fprintf(w, ": heartbeat\n\ndata: %s\n\n", d.AppendJSON(nil))
			w.(http.Flusher).Flush()
		}
		if u := d.Until(); !u.IsZero() {
			timer.Reset(u.Sub(now))
		}
		select {
		case <-r.Context().Done():
			return
		case <-poke:
		case <-timer.C:
		}
	}
}

// fakeConfig is a short script: every customer presses Cancel, half of them
// watch the chat page.
func fakeConfig(url string) Config {
	return Config{
		BaseURL: url, ServiceToken: "svc", CustomerSecret: []byte(strings.Repeat("s", 32)),
		Orders: 30, Ramp: 100 * time.Millisecond, Promise: 400 * time.Millisecond, Poll: 25 * time.Millisecond,
		ChatShare: 0.5, CancelShare: 1, PayLaterShare: 0.3, UnpaidShare: 0.1, Seed: 3,
		Conns: 8, WriteConns: 8, Partitions: 2, PushTimeout: 2 * time.Second, ClockTolerance: 5 * time.Millisecond,
	}
}
