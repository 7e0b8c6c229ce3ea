package loadgen

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Snapshot is the state of a run at one moment, for a live summary line.
type Snapshot struct {
	Elapsed                    time.Duration
	Planned, Placed, Finished  int64
	Shown, Hidden              int64 // orders whose customer saw the button, and then saw it hidden by the arrival
	CancelsWon, CancelsRefused int64
	Reads, Requests, Errors    int64
	Wrong                      int64
	Pushes                     int64 // push latencies measured
	PushP50, PushP99           time.Duration
}

// Line is the one-line summary `eligo demo` prints while it runs.
func (s Snapshot) Line() string {
	line := fmt.Sprintf("placed %d | buttons shown %d, hidden by arrival %d | cancels won %d, refused %d | reads %d, errors %d | wrong answers %d",
		s.Placed, s.Shown, s.Hidden, s.CancelsWon, s.CancelsRefused, s.Reads, s.Errors, s.Wrong)
	if s.Pushes > 0 {
		line += fmt.Sprintf(" | push p50 %s, p99 %s", ms(s.PushP50), ms(s.PushP99))
	}
	return line
}

func ms(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }

func (r *runner) snapshot(elapsed time.Duration) Snapshot {
	st := r.st
	var requests int64
	for _, ep := range st.endpoints() {
		requests += int64(ep.latency.Count())
	}
	return Snapshot{
		Elapsed: elapsed, Planned: int64(len(r.orders)), Placed: st.placed.Load(), Finished: st.finished.Load(),
		Shown: st.shown.Load(), Hidden: st.hidden.Load(), CancelsWon: st.won.Load(), CancelsRefused: st.refused.Load(),
		Reads: st.reads.Load(), Requests: requests, Errors: st.errors.total(), Wrong: st.wrong.total(),
		Pushes: int64(st.pushLat.Count()), PushP50: st.pushLat.Quantile(0.5), PushP99: st.pushLat.Quantile(0.99),
	}
}

func (st *runStats) endpoints() []*endpoint {
	return []*endpoint{&st.create, &st.events, &st.elig, &st.cancel, &st.live}
}

// Report is the result of a run, meant to be compared across runs: as
// text (Text) or as JSON. Durations are in milliseconds.
type Report struct {
	Target    string           `json:"target"`
	Started   time.Time        `json:"started"`
	ElapsedS  float64          `json:"elapsed_s"`
	Config    ConfigReport     `json:"config"`
	Orders    OrdersReport     `json:"orders"`
	Requests  int64            `json:"requests"`
	RPS       float64          `json:"requests_per_second"`
	Endpoints []EndpointReport `json:"endpoints"`
	// Events counts the events in answered batches, and EventsPerSecond
	// their rate over the run.
	Events          int64   `json:"events"`
	EventsPerSecond float64 `json:"events_per_second"`
	// NotModifiedShare is the share of eligibility answers that were 304.
	NotModifiedShare float64          `json:"not_modified_share"`
	Push             PushReport       `json:"push"`
	Cancels          CancelReport     `json:"cancels"`
	Errors           int64            `json:"errors"`
	ErrorsByKind     map[string]int64 `json:"errors_by_kind"`
	// Cut counts requests the end of the run interrupted; they are neither
	// errors nor checked.
	Cut int64 `json:"requests_cut_by_end"`
	// Retried503 counts 503 answers with Retry-After that were tried again
	// (the store or the server asked for time); a 503 still there after
	// the retries is an error.
	Retried503   int64            `json:"retried_503"`
	Wrong        int64            `json:"wrong_answers"`
	WrongByKind  map[string]int64 `json:"wrong_by_kind"`
	WrongSamples []string         `json:"wrong_samples,omitempty"`
	// Unchecked counts answers that named a version an unanswered write
	// may have made: neither right nor wrong.
	Unchecked int64         `json:"unchecked"`
	Lag       LagReport     `json:"schedule_lag"`
	Server    *ServerReport `json:"server,omitempty"`
	// LoadRSS and LoadCPUSeconds are the load generator's own resident
	// memory at the end and CPU time during the run: on one machine, the
	// server had what the generator left.
	LoadRSS        int64   `json:"load_generator_rss_bytes"`
	LoadCPUSeconds float64 `json:"load_generator_cpu_seconds"`
}

// ConfigReport is the script the run played.
type ConfigReport struct {
	Orders           int     `json:"orders"`
	RampMs           float64 `json:"ramp_ms"`
	PromiseMs        float64 `json:"promise_ms"`
	PollMs           float64 `json:"poll_ms"`
	ChatShare        float64 `json:"chat_share"`
	CancelShare      float64 `json:"cancel_share"`
	PayLaterShare    float64 `json:"pay_later_share"`
	UnpaidShare      float64 `json:"unpaid_share"`
	Conns            int     `json:"conns"`
	WriteConns       int     `json:"write_conns"`
	Partitions       int     `json:"partitions"`
	BatchMax         int     `json:"batch_max"`
	ClockToleranceMs float64 `json:"clock_tolerance_ms"`
	Seed             uint64  `json:"seed"`
}

// OrdersReport counts the orders.
type OrdersReport struct {
	Planned  int64 `json:"planned"`
	Placed   int64 `json:"placed"`
	Finished int64 `json:"finished"` // their whole story played before the run ended
	Shown    int64 `json:"button_shown"`
	Hidden   int64 `json:"button_hidden_by_arrival"`
	// Expired counts orders the server expired at their payment timeout
	// (a version the generator did not write, seen in an answer).
	Expired int64 `json:"expired_by_server"`
}

// EndpointReport is one route's requests and latencies.
type EndpointReport struct {
	Name     string           `json:"name"`
	Requests int64            `json:"requests"`
	RPS      float64          `json:"requests_per_second"`
	Errors   int64            `json:"errors"`
	P50Ms    float64          `json:"p50_ms"`
	P90Ms    float64          `json:"p90_ms"`
	P99Ms    float64          `json:"p99_ms"`
	MaxMs    float64          `json:"max_ms"`
	Status   map[string]int64 `json:"status,omitempty"`
}

// PushReport is the live stream: how fast a change reached a watching
// chat page.
type PushReport struct {
	Used      bool   `json:"used"`
	Note      string `json:"note,omitempty"`
	Streams   int64  `json:"streams"`
	Documents int64  `json:"documents"`
	// From an event's (or cancel's) send to the page holding a document at
	// least that new.
	Samples int64   `json:"samples"`
	P50Ms   float64 `json:"p50_ms"`
	P99Ms   float64 `json:"p99_ms"`
	MaxMs   float64 `json:"max_ms"`
	// From the write's answer to the page holding the document: the push
	// path without the write's own time in the store. A document that came
	// before the answer counts as 0; BeforeAnswerShare is their share.
	AfterAnswerP50Ms  float64 `json:"after_answer_p50_ms"`
	AfterAnswerP99Ms  float64 `json:"after_answer_p99_ms"`
	BeforeAnswerShare float64 `json:"before_answer_share"`
	// From an until boundary (promised_at, payment_timeout_at) to the page
	// holding a document as of it.
	BoundarySamples int64   `json:"boundary_samples"`
	BoundaryP50Ms   float64 `json:"boundary_p50_ms"`
	BoundaryP99Ms   float64 `json:"boundary_p99_ms"`
}

// CancelReport counts the presses of Cancel.
type CancelReport struct {
	Won     int64 `json:"won"`
	Refused int64 `json:"refused"`
}

// LagReport is how late the generator acted against its script: a large
// lag means it (or the server) could not keep up.
type LagReport struct {
	CreateP99Ms float64 `json:"create_p99_ms"`
	CancelP99Ms float64 `json:"cancel_p99_ms"`
	PollP50Ms   float64 `json:"poll_p50_ms"`
	PollP99Ms   float64 `json:"poll_p99_ms"`
	EventP50Ms  float64 `json:"event_p50_ms"`
	EventP99Ms  float64 `json:"event_p99_ms"`
	// ReadYields counts the waits of about a millisecond that map pages
	// made for late writes.
	ReadYields int64 `json:"read_yields"`
}

// ServerReport is the server's resident memory and CPU time, from /proc.
type ServerReport struct {
	PID                int     `json:"pid"`
	RSSBytes           int64   `json:"rss_bytes"`             // at the end
	MaxSampledRSSBytes int64   `json:"max_sampled_rss_bytes"` // the largest of one sample a second
	PeakRSSBytes       int64   `json:"peak_rss_bytes"`        // VmHWM: since the process started
	CPUSeconds         float64 `json:"cpu_seconds"`           // used during the run
	Error              string  `json:"error,omitempty"`
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *runner) report(started time.Time, elapsed time.Duration, cpuStart time.Duration, mem *ServerReport) *Report {
	st, c := r.st, r.cfg
	secs := elapsed.Seconds()
	rep := &Report{
		Target: c.BaseURL, Started: started.UTC(), ElapsedS: secs,
		Config: ConfigReport{
			Orders: c.Orders, RampMs: msf(c.Ramp), PromiseMs: msf(c.Promise), PollMs: msf(c.Poll),
			ChatShare: c.ChatShare, CancelShare: c.CancelShare, PayLaterShare: c.PayLaterShare, UnpaidShare: c.UnpaidShare,
			Conns: c.Conns, WriteConns: c.WriteConns, Partitions: c.Partitions, BatchMax: c.BatchMax,
			ClockToleranceMs: msf(c.ClockTolerance), Seed: c.Seed,
		},
		Orders: OrdersReport{Planned: int64(len(r.orders)), Placed: st.placed.Load(), Finished: st.finished.Load(), Shown: st.shown.Load(), Hidden: st.hidden.Load(), Expired: st.expiries.Load()},
		Push: PushReport{
			Streams: st.streams.Load(), Documents: st.pushDocs.Load(),
			Samples: int64(st.pushLat.Count()), P50Ms: msf(st.pushLat.Quantile(0.5)), P99Ms: msf(st.pushLat.Quantile(0.99)), MaxMs: msf(st.pushLat.Max()),
			AfterAnswerP50Ms: msf(st.pushAfterAck.Quantile(0.5)), AfterAnswerP99Ms: msf(st.pushAfterAck.Quantile(0.99)),
			BoundarySamples: int64(st.boundaryLat.Count()), BoundaryP50Ms: msf(st.boundaryLat.Quantile(0.5)), BoundaryP99Ms: msf(st.boundaryLat.Quantile(0.99)),
		},
		Cancels:      CancelReport{Won: st.won.Load(), Refused: st.refused.Load()},
		ErrorsByKind: st.errors.snapshot(), Errors: st.errors.total(), Cut: st.cut.Load(), Retried503: r.api.Retried503.Load(),
		WrongByKind: st.wrong.snapshot(), Wrong: st.wrong.total(), Unchecked: st.unchecked.Load(),
		Lag: LagReport{
			CreateP99Ms: msf(st.createLag.Quantile(0.99)), CancelP99Ms: msf(st.cancelLag.Quantile(0.99)),
			PollP50Ms: msf(st.pollLag.Quantile(0.5)), PollP99Ms: msf(st.pollLag.Quantile(0.99)),
			EventP50Ms: msf(st.eventLag.Quantile(0.5)), EventP99Ms: msf(st.eventLag.Quantile(0.99)),
			ReadYields: st.yields.Load(),
		},
		Server: mem,
	}
	st.samplesMu.Lock()
	rep.WrongSamples = append([]string(nil), st.samples...)
	st.samplesMu.Unlock()
	if note := r.liveOff.Load(); note != nil {
		rep.Push.Note = *note
	} else if rep.Push.Streams > 0 {
		rep.Push.Used = true
	} else if c.ChatShare == 0 {
		rep.Push.Note = "no chat pages in the script (chat share 0)"
	}
	for _, ep := range st.endpoints() {
		n := int64(ep.latency.Count())
		if n == 0 {
			continue
		}
		er := EndpointReport{Name: ep.name, Requests: n, RPS: float64(n) / secs,
			P50Ms: msf(ep.latency.Quantile(0.5)), P90Ms: msf(ep.latency.Quantile(0.9)), P99Ms: msf(ep.latency.Quantile(0.99)), MaxMs: msf(ep.latency.Max())}
		ep.mu.Lock()
		er.Errors = ep.errors
		er.Status = map[string]int64{}
		for code, k := range ep.status {
			er.Status[fmt.Sprint(code)] = k
		}
		ep.mu.Unlock()
		rep.Endpoints = append(rep.Endpoints, er)
		rep.Requests += n
	}
	rep.RPS = float64(rep.Requests) / secs
	if n := st.pushAfterAck.Count(); n > 0 {
		rep.Push.BeforeAnswerShare = float64(st.pushBeforeAck.Load()) / float64(n)
	}
	rep.Events = st.eventsSent.Load()
	rep.EventsPerSecond = float64(rep.Events) / secs
	if reads := st.reads.Load(); reads > 0 {
		rep.NotModifiedShare = float64(st.notModified.Load()) / float64(reads)
	}
	if rss, _, err := readRSS(os.Getpid()); err == nil {
		rep.LoadRSS = rss
	}
	if cpu, err := cpuTime(os.Getpid()); err == nil {
		rep.LoadCPUSeconds = (cpu - cpuStart).Seconds()
	}
	return rep
}

// Snapshot returns the report's counts as a summary line's.
func (rep *Report) Snapshot() Snapshot {
	s := Snapshot{
		Elapsed: time.Duration(rep.ElapsedS * float64(time.Second)), Planned: rep.Orders.Planned, Placed: rep.Orders.Placed, Finished: rep.Orders.Finished,
		Shown: rep.Orders.Shown, Hidden: rep.Orders.Hidden, CancelsWon: rep.Cancels.Won, CancelsRefused: rep.Cancels.Refused,
		Requests: rep.Requests, Errors: rep.Errors, Wrong: rep.Wrong, Pushes: rep.Push.Samples,
		PushP50: time.Duration(rep.Push.P50Ms * float64(time.Millisecond)), PushP99: time.Duration(rep.Push.P99Ms * float64(time.Millisecond)),
	}
	for _, ep := range rep.Endpoints {
		if strings.HasSuffix(ep.Name, "/eligibility") {
			s.Reads = ep.Requests - ep.Errors
		}
	}
	return s
}

// JSON returns the report as indented JSON.
func (rep *Report) JSON() []byte {
	b, _ := json.MarshalIndent(rep, "", "  ")
	return append(b, '\n')
}

// Text returns the report for a person.
func (rep *Report) Text() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	c := rep.Config
	p("eligo load against %s, %s, %.1f s", rep.Target, rep.Started.Format(time.RFC3339), rep.ElapsedS)
	p("script: %d orders over %s, promise %s, map pages poll every %s; chat %.0f%%, cancel %.0f%%, pay later %.0f%%, never pay %.0f%%; seed %d",
		c.Orders, dur(c.RampMs), dur(c.PromiseMs), dur(c.PollMs), 100*c.ChatShare, 100*c.CancelShare, 100*c.PayLaterShare, 100*c.UnpaidShare, c.Seed)
	o := rep.Orders
	p("orders: %d placed of %d, %d played to their end; button seen by %d, hidden by the arrival for %d; %d expired by the server", o.Placed, o.Planned, o.Finished, o.Shown, o.Hidden, o.Expired)
	p("cancels: %d won, %d refused", rep.Cancels.Won, rep.Cancels.Refused)
	p("")
	p("requests: %d, %.0f/s; 304 share of eligibility answers %.1f%%; events %d in batches, %.0f/s", rep.Requests, rep.RPS, 100*rep.NotModifiedShare, rep.Events, rep.EventsPerSecond)
	p("  %-32s %9s %8s %8s %8s %8s %8s %7s", "endpoint", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors")
	for _, e := range rep.Endpoints {
		p("  %-32s %9d %8.0f %8.2f %8.2f %8.2f %8.1f %7d", e.Name, e.Requests, e.RPS, e.P50Ms, e.P90Ms, e.P99Ms, e.MaxMs, e.Errors)
	}
	p("")
	pu := rep.Push
	switch {
	case pu.Used:
		p("live push: %d streams, %d documents; write sent -> page has it: p50 %.2f ms, p99 %.2f ms, max %.1f ms (%d samples)", pu.Streams, pu.Documents, pu.P50Ms, pu.P99Ms, pu.MaxMs, pu.Samples)
		p("  write answered -> page has it: p50 %.2f ms, p99 %.2f ms (%.0f%% of the documents came before the answer)", pu.AfterAnswerP50Ms, pu.AfterAnswerP99Ms, 100*pu.BeforeAnswerShare)
		p("  until boundary -> page has it: p50 %.2f ms, p99 %.2f ms (%d samples)", pu.BoundaryP50Ms, pu.BoundaryP99Ms, pu.BoundarySamples)
	default:
		p("live push: skipped: %s", pu.Note)
	}
	p("schedule lag (late against the script): polls p50 %.1f ms p99 %.1f ms; events p50 %.1f ms p99 %.1f ms; creates p99 %.1f ms; cancels p99 %.1f ms",
		rep.Lag.PollP50Ms, rep.Lag.PollP99Ms, rep.Lag.EventP50Ms, rep.Lag.EventP99Ms, rep.Lag.CreateP99Ms, rep.Lag.CancelP99Ms)
	if rep.Lag.ReadYields > 0 {
		p("  map pages held back for late writes: %d waits of about 1 ms", rep.Lag.ReadYields)
	}
	if m := rep.Server; m != nil {
		if m.Error != "" {
			p("server memory (pid %d): %s", m.PID, m.Error)
		} else {
			p("server (pid %d): RSS %s at the end, %s the most sampled, %s peak (VmHWM); CPU %.1f s", m.PID, mib(m.RSSBytes), mib(m.MaxSampledRSSBytes), mib(m.PeakRSSBytes), m.CPUSeconds)
		}
	}
	p("load generator: RSS %s; CPU %.1f s", mib(rep.LoadRSS), rep.LoadCPUSeconds)
	p("")
	p("errors: %d%s; requests cut by the end of the run: %d; 503s retried: %d", rep.Errors, byKind(rep.ErrorsByKind), rep.Cut, rep.Retried503)
	p("WRONG ANSWERS: %d%s; unchecked (version of an unanswered write): %d", rep.Wrong, byKind(rep.WrongByKind), rep.Unchecked)
	for _, s := range rep.WrongSamples {
		p("  wrong: %s", s)
	}
	return b.String()
}

func dur(msv float64) time.Duration { return time.Duration(msv * float64(time.Millisecond)) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func byKind(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
