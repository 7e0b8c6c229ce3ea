package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/eligo/eligo/internal/loadgen"
)

// summary is summary.json: the machine, each part's status and figures,
// and every problem found. OK is false when there is any.
type summary struct {
	Started  string   `json:"started"`
	TotalS   float64  `json:"total_s"`
	BudgetS  float64  `json:"budget_s"`
	Binaries string   `json:"binaries"`
	BuildS   float64  `json:"build_s"`
	Machine  machine  `json:"machine"`
	ReadPath readPath `json:"read_path"`
	Live     live     `json:"live"`
	Load     load     `json:"load"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	MemoryKB  int64  `json:"memory_kb"`
	Kernel    string `json:"kernel"`
	LoadStart string `json:"load_average_start"`
	LoadEnd   string `json:"load_average_end"`
	Go        string `json:"go"`
}

// part is what the script says of one part: "ok", or how it failed.
type part struct {
	Status  string  `json:"status"`
	Seconds float64 `json:"seconds"`
	BudgetS float64 `json:"budget_s"`
}

type readPath struct {
	part
	Tool             string  `json:"tool"`
	ToolNote         string  `json:"tool_note,omitempty"`
	Conns            int     `json:"conns"`
	Rounds           int     `json:"rounds"`
	EligibilityRPS   float64 `json:"eligibility_rps"`
	HealthzRPS       float64 `json:"healthz_rps"`
	MedianRatio      float64 `json:"median_ratio"`
	CPURatio         float64 `json:"cpu_ratio"`
	EligibilityP50Ms float64 `json:"eligibility_p50_ms"`
	Errors           int64   `json:"errors"`
}

type load struct {
	part
	Orders           int     `json:"orders"`
	Duration         string  `json:"duration"`
	Placed           int64   `json:"placed"`
	Finished         int64   `json:"finished"`
	RPS              float64 `json:"requests_per_second"`
	EligibilityRPS   float64 `json:"eligibility_rps"`
	EligibilityP99Ms float64 `json:"eligibility_p99_ms"`
	CreateRPS        float64 `json:"create_rps"`
	CreateP50Ms      float64 `json:"create_p50_ms"`
	CreateP99Ms      float64 `json:"create_p99_ms"`
	CreateLagP99Ms   float64 `json:"create_schedule_lag_p99_ms"`
	EventsPerSecond  float64 `json:"events_per_second"`
	PushP99Ms        float64 `json:"push_p99_ms"`
	Errors           int64   `json:"errors"`
	Wrong            int64   `json:"wrong_answers"`
}

// checker gathers problems while the summary is filled in.
type checker struct {
	info     map[string]string
	problems []string
}

func (c *checker) problem(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// str returns the script's value of key; a missing one is a problem.
func (c *checker) str(key string) string {
	v, ok := c.info[key]
	if !ok || v == "" {
		c.problem("info.txt has no %s", key)
	}
	return v
}

func (c *checker) num(key string) float64 {
	v := c.str(key)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		c.problem("info.txt: %s=%q is not a number", key, v)
	}
	return f
}

// part reads a part's status and times; a status other than ok is a
// problem, and so are its figures then (they are not read).
func (c *checker) part(name string) (part, bool) {
	p := part{Status: c.str(name + ".status"), Seconds: c.num(name + ".seconds"), BudgetS: c.num(name + ".budget_s")}
	if p.Status != "ok" {
		c.problem("%s: %s", name, p.Status)
		return p, false
	}
	return p, true
}

// jsonFile decodes the part's JSON report; a missing or unreadable one is
// a problem.
func (c *checker) jsonFile(read func(string) ([]byte, error), name string, v any) bool {
	b, err := read(name)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		c.problem("%s: %v", name, err)
		return false
	}
	return true
}

func summarize(info map[string]string, read func(name string) ([]byte, error)) *summary {
	c := &checker{info: info}
	s := &summary{
		Started: c.str("started"), TotalS: c.num("total_s"), BudgetS: c.num("budget_s"), Binaries: c.str("binaries"), BuildS: c.num("build_s"),
		Machine: machine{CPUs: int(c.num("machine.cpus")), MemoryKB: int64(c.num("machine.memory_kb")), Kernel: c.str("machine.kernel"),
			LoadStart: c.str("machine.load_start"), LoadEnd: c.str("machine.load_end"), Go: c.str("machine.go")},
	}
	if s.BudgetS > 0 && s.TotalS > s.BudgetS {
		c.problem("the run took %.0f s, over its budget of %.0f s", s.TotalS, s.BudgetS)
	}
	s.ReadPath = c.readPath(read)
	s.Live = c.live(read)
	s.Load = c.load(read)
	s.Problems = c.problems
	if s.Problems == nil {
		s.Problems = []string{}
	}
	s.OK = len(s.Problems) == 0
	return s
}

func (c *checker) readPath(read func(string) ([]byte, error)) readPath {
	r := readPath{Tool: c.str("readpath.tool"), ToolNote: c.info["readpath.tool_note"]}
	var ok bool
	if r.part, ok = c.part("readpath"); !ok {
		return r
	}
	var rep loadgen.RatioReport
	if !c.jsonFile(read, "readpath.json", &rep) {
		return r
	}
	r.Conns, r.Rounds = rep.Conns, len(rep.Rounds)
	r.EligibilityRPS, r.HealthzRPS, r.MedianRatio = rep.EligibilityRPS, rep.HealthzRPS, rep.MedianRatio
	r.CPURatio, r.EligibilityP50Ms, r.Errors = rep.CPURatio, rep.EligibilityP50Ms, rep.Errors
	switch {
	case rep.Tool != r.Tool:
		c.problem("readpath.json: measured with %q, the script asked for %q", rep.Tool, r.Tool)
	case r.Rounds == 0 || r.EligibilityRPS <= 0 || r.HealthzRPS <= 0 || r.MedianRatio <= 0:
		c.problem("readpath.json: no rounds or no requests per second")
	case r.CPURatio <= 0:
		c.problem("readpath.json: no CPU ratio (the server's pid was not read)")
	}
	if r.Errors > 0 {
		c.problem("read path: %d errors", r.Errors)
	}
	return r
}

func (c *checker) load(read func(string) ([]byte, error)) load {
	l := load{Orders: int(c.num("load.orders")), Duration: c.str("load.duration")}
	var ok bool
	if l.part, ok = c.part("load"); !ok {
		return l
	}
	var rep loadgen.Report
	if !c.jsonFile(read, "load.json", &rep) {
		return l
	}
	l.Placed, l.Finished, l.RPS = rep.Orders.Placed, rep.Orders.Finished, rep.RPS
	l.EventsPerSecond, l.PushP99Ms, l.CreateLagP99Ms = rep.EventsPerSecond, rep.Push.P99Ms, rep.Lag.CreateP99Ms
	l.Errors, l.Wrong = rep.Errors, rep.Wrong
	found := map[string]bool{}
	for _, e := range rep.Endpoints {
		switch e.Name {
		case "POST /v1/orders":
			l.CreateRPS, l.CreateP50Ms, l.CreateP99Ms = e.RPS, e.P50Ms, e.P99Ms
		case "GET /v1/orders/{id}/eligibility":
			l.EligibilityRPS, l.EligibilityP99Ms = e.RPS, e.P99Ms
		default:
			continue
		}
		found[e.Name] = e.Requests > 0
	}
	switch {
	case rep.Orders.Planned != int64(l.Orders):
		c.problem("load.json: %d orders planned, the script asked for %d", rep.Orders.Planned, l.Orders)
	case l.Placed == 0 || !found["POST /v1/orders"] || !found["GET /v1/orders/{id}/eligibility"]:
		c.problem("load.json: no orders placed, or no creates or eligibility reads answered")
	}
	if l.Wrong > 0 || l.Errors > 0 {
		c.problem("load: %d wrong answers, %d errors", l.Wrong, l.Errors)
	}
	return l
}
