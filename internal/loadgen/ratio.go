package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eligo/eligo/internal/auth"
)

// RatioConfig is the read-path benchmark: GET eligibility against GET
// /healthz of the same server, measured by the same client in alternating
// phases of the same run, so that the client's own cost and the machine's
// noise weigh on both alike.
type RatioConfig struct {
	BaseURL        string
	ServiceToken   string
	CustomerSecret []byte
	OrderPrefix    string
	// Orders are created (promised an hour out, so every answer is the
	// same for the whole run) and read in turn, each with its customer's
	// token; /healthz is sent the same Authorization headers.
	Orders int
	// Rounds of two phases, eligibility and /healthz, each lasting Round;
	// odd rounds run /healthz first.
	Rounds int
	Round  time.Duration
	Conns  int
	// Tool is "go" (this process's HTTP client) or "wrk" (wrk on PATH,
	// with a Lua script that sets the Authorization header).
	Tool string
	// ServiceAuth reads with the service token instead of each order's
	// customer token, to tell the cost of customer tokens apart.
	ServiceAuth bool
	// ServerPID, when set, is the server's process id on this machine: each
	// phase then also reports the server's CPU time per request, read from
	// /proc, which other work on a shared machine does not skew the way it
	// skews requests per second.
	ServerPID int
	// Progress, when set, gets one line per round.
	Progress io.Writer
}

// RatioReport is the result of the read-path benchmark.
type RatioReport struct {
	Target string       `json:"target"`
	Tool   string       `json:"tool"`
	Auth   string       `json:"auth"` // customer or service tokens
	Conns  int          `json:"conns"`
	Orders int          `json:"orders"`
	Rounds []RatioRound `json:"rounds"`
	// MedianRatio is the median over rounds of eligibility req/s divided by
	// /healthz req/s; the target is at least 0.90.
	MedianRatio      float64 `json:"median_ratio"`
	EligibilityRPS   float64 `json:"eligibility_median_rps"`
	HealthzRPS       float64 `json:"healthz_median_rps"`
	EligibilityP50Ms float64 `json:"eligibility_median_p50_ms"`
	HealthzP50Ms     float64 `json:"healthz_median_p50_ms"`
	// CPURatio is the median over rounds of the server's CPU time per
	// /healthz request divided by its CPU time per eligibility request (so
	// that, like MedianRatio, 1 means as cheap as /healthz); zero when the
	// server's process was not given.
	CPURatio             float64 `json:"cpu_ratio,omitempty"`
	EligibilityCPUMicros float64 `json:"eligibility_median_server_cpu_us,omitempty"`
	HealthzCPUMicros     float64 `json:"healthz_median_server_cpu_us,omitempty"`
	Errors               int64   `json:"errors"`
}

// RatioRound is one round: both endpoints, back to back.
type RatioRound struct {
	Eligibility Phase   `json:"eligibility"`
	Healthz     Phase   `json:"healthz"`
	Ratio       float64 `json:"ratio"`
	CPURatio    float64 `json:"cpu_ratio,omitempty"`
}

// Phase is one endpoint measured for one phase.
type Phase struct {
	Requests int64   `json:"requests"`
	RPS      float64 `json:"requests_per_second"`
	Errors   int64   `json:"errors"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	// ServerCPUMicros is the server's CPU time per request during the
	// phase, when its process was given.
	ServerCPUMicros float64 `json:"server_cpu_us,omitempty"`
}

// Ratio runs the read-path benchmark.
func Ratio(ctx context.Context, c RatioConfig) (*RatioReport, error) {
	if c.Orders < 1 || c.Rounds < 1 || c.Round <= 0 || c.Conns < 1 {
		return nil, errors.New("loadgen: the ratio benchmark needs at least one order, round and connection, and a positive phase")
	}
	if c.Tool != "go" && c.Tool != "wrk" {
		return nil, fmt.Errorf("loadgen: ratio tool %q is neither go nor wrk", c.Tool)
	}
	api := NewClient(c.BaseURL, 16, time.Minute)
	defer api.http.CloseIdleConnections()
	targets, err := seedOrders(ctx, api, &c)
	if err != nil {
		return nil, err
	}
	var phase func(ctx context.Context, healthz bool) (Phase, error)
	switch c.Tool {
	case "go":
		client := &http.Client{Transport: newTransport(c.Conns)}
		defer client.CloseIdleConnections()
		phase = goPhase(&c, client, targets)
	case "wrk":
		script, err := wrkScript(targets)
		if err != nil {
			return nil, err
		}
		defer os.Remove(script)
		phase = wrkPhase(&c, script)
	}
	rep := &RatioReport{Target: c.BaseURL, Tool: c.Tool, Auth: "customer", Conns: c.Conns, Orders: c.Orders}
	if c.ServiceAuth {
		rep.Auth = "service"
	}
	for i := range c.Rounds {
		var rd RatioRound
		for _, healthz := range [][2]bool{{false, true}, {true, false}}[i%2] {
			cpu0, cpuErr := serverCPU(c.ServerPID)
			p, err := phase(ctx, healthz)
			if err != nil {
				return nil, err
			}
			if cpu1, err := serverCPU(c.ServerPID); cpuErr == nil && err == nil && c.ServerPID != 0 && p.Requests > 0 {
				p.ServerCPUMicros = float64((cpu1-cpu0)/time.Microsecond) / float64(p.Requests)
			}
			if healthz {
				rd.Healthz = p
			} else {
				rd.Eligibility = p
			}
		}
		if rd.Healthz.RPS > 0 {
			rd.Ratio = rd.Eligibility.RPS / rd.Healthz.RPS
		}
		if rd.Eligibility.ServerCPUMicros > 0 {
			rd.CPURatio = rd.Healthz.ServerCPUMicros / rd.Eligibility.ServerCPUMicros
		}
		rep.Rounds = append(rep.Rounds, rd)
		rep.Errors += rd.Eligibility.Errors + rd.Healthz.Errors
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "round %d/%d: eligibility %.0f req/s, /healthz %.0f req/s, ratio %.3f, CPU ratio %.3f\n", i+1, c.Rounds, rd.Eligibility.RPS, rd.Healthz.RPS, rd.Ratio, rd.CPURatio)
		}
	}
	med := func(f func(RatioRound) float64) float64 {
		v := make([]float64, len(rep.Rounds))
		for i, r := range rep.Rounds {
			v[i] = f(r)
		}
		return median(v)
	}
	rep.MedianRatio = med(func(r RatioRound) float64 { return r.Ratio })
	rep.EligibilityRPS = med(func(r RatioRound) float64 { return r.Eligibility.RPS })
	rep.HealthzRPS = med(func(r RatioRound) float64 { return r.Healthz.RPS })
	rep.EligibilityP50Ms = med(func(r RatioRound) float64 { return r.Eligibility.P50Ms })
	rep.HealthzP50Ms = med(func(r RatioRound) float64 { return r.Healthz.P50Ms })
	if c.ServerPID != 0 {
		rep.CPURatio = med(func(r RatioRound) float64 { return r.CPURatio })
		rep.EligibilityCPUMicros = med(func(r RatioRound) float64 { return r.Eligibility.ServerCPUMicros })
		rep.HealthzCPUMicros = med(func(r RatioRound) float64 { return r.Healthz.ServerCPUMicros })
	}
	return rep, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// ratioTarget is one order to read, with its customer's token.
type ratioTarget struct{ path, auth string }

// seedOrders creates the benchmark's orders, promised an hour out.
func seedOrders(ctx context.Context, api *Client, c *RatioConfig) ([]ratioTarget, error) {
	targets := make([]ratioTarget, c.Orders)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	promised := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < c.Orders; i = int(next.Add(1)) - 1 {
				id, cust := fmt.Sprintf("%sratio-%d", c.OrderPrefix, i+1), fmt.Sprintf("%sratio-cust-%d", c.OrderPrefix, i+1)
				code, err := api.Do(ctx, http.MethodPost, "/v1/orders", c.ServiceToken, map[string]any{"id": id, "customer_id": cust, "promised_at": promised}, nil)
				if err == nil && code != http.StatusCreated {
					err = fmt.Errorf("loadgen: creating order %s: status %d", id, code)
				}
				tok, terr := auth.MintCustomerToken(c.CustomerSecret, cust, 24*time.Hour, time.Now())
				if err = errors.Join(err, terr); err != nil {
					errs <- err
					return
				}
				if c.ServiceAuth {
					tok = c.ServiceToken
				}
				targets[i] = ratioTarget{path: "/v1/orders/" + id + "/eligibility", auth: "Bearer " + tok}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return targets, nil
}

// goPhase measures with this process's client: Conns workers, each reading
// the targets in turn on its kept-alive connection.
func goPhase(c *RatioConfig, client *http.Client, targets []ratioTarget) func(ctx context.Context, healthz bool) (Phase, error) {
	return func(ctx context.Context, healthz bool) (Phase, error) {
		var lat histogram
		var n, failed atomic.Int64
		pctx, cancel := context.WithTimeout(ctx, c.Round)
		defer cancel()
		start := time.Now()
		var wg sync.WaitGroup
		for w := range c.Conns {
			wg.Go(func() {
				for i := w; pctx.Err() == nil; i += c.Conns {
					t := targets[i%len(targets)]
					path := t.path
					if healthz {
						path = "/healthz"
					}
					req, _ := http.NewRequestWithContext(pctx, http.MethodGet, c.BaseURL+path, nil)
					req.Header["Authorization"] = []string{t.auth}
					sent := time.Now()
					resp, err := client.Do(req)
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					if pctx.Err() != nil {
						return
					}
					lat.Observe(time.Since(sent))
					n.Add(1)
					if err != nil || resp.StatusCode != http.StatusOK {
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		secs := time.Since(start).Seconds()
		return Phase{Requests: n.Load(), RPS: float64(n.Load()) / secs, Errors: failed.Load(), P50Ms: msf(lat.Quantile(0.5)), P99Ms: msf(lat.Quantile(0.99))}, nil
	}
}

// serverCPU returns the CPU time of the server's process, when one is
// given.
func serverCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, nil
	}
	return cpuTime(pid)
}

// JSON returns the report as indented JSON.
func (r *RatioReport) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}

// Text returns the report for a person.
func (r *RatioReport) Text() string {
	var b strings.Builder
	cpu := r.CPURatio > 0
	fmt.Fprintf(&b, "read-path ratio against %s, client %s, %d connections, %d orders read with %s tokens, %d rounds\n", r.Target, r.Tool, r.Conns, r.Orders, r.Auth, len(r.Rounds))
	fmt.Fprintf(&b, "  %6s %14s %8s %14s %8s %7s", "round", "eligibility/s", "p50 ms", "/healthz/s", "p50 ms", "ratio")
	if cpu {
		fmt.Fprintf(&b, " %9s %9s %9s", "elig µs", "hlth µs", "CPU ratio")
	}
	b.WriteString("\n")
	row := func(name string, e, h Phase, ratio, cpuRatio float64) {
		fmt.Fprintf(&b, "  %6s %14.0f %8.3f %14.0f %8.3f %7.3f", name, e.RPS, e.P50Ms, h.RPS, h.P50Ms, ratio)
		if cpu {
			fmt.Fprintf(&b, " %9.1f %9.1f %9.3f", e.ServerCPUMicros, h.ServerCPUMicros, cpuRatio)
		}
		b.WriteString("\n")
	}
	for i, rd := range r.Rounds {
		row(fmt.Sprint(i+1), rd.Eligibility, rd.Healthz, rd.Ratio, rd.CPURatio)
	}
	row("median", Phase{RPS: r.EligibilityRPS, P50Ms: r.EligibilityP50Ms, ServerCPUMicros: r.EligibilityCPUMicros},
		Phase{RPS: r.HealthzRPS, P50Ms: r.HealthzP50Ms, ServerCPUMicros: r.HealthzCPUMicros}, r.MedianRatio, r.CPURatio)
	fmt.Fprintf(&b, "ratio (median of rounds) %.3f: %s the target 0.90; errors %d\n", r.MedianRatio, verdict(r.MedianRatio), r.Errors)
	if cpu {
		fmt.Fprintf(&b, "server CPU per request, /healthz over eligibility (median of rounds) %.3f: %s the target 0.90\n", r.CPURatio, verdict(r.CPURatio))
	}
	return b.String()
}

func verdict(ratio float64) string {
	if ratio >= 0.90 {
		return "meets"
	}
	return fmt.Sprintf("misses by %.3f", 0.90-ratio)
}
