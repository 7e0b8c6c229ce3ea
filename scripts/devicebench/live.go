package main

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// live is the live bench's part: the open-file limit the script got, the
// subscribers asked for and held, and eligo-livebench's figures.
type live struct {
	part
	OpenFiles            int     `json:"open_files"`
	OpenFilesNote        string  `json:"open_files_note,omitempty"`
	SubscribersRequested int     `json:"subscribers_requested"`
	Subscribers          int     `json:"subscribers"`
	LocalAddrs           int     `json:"local_addrs"`
	StormRate            int     `json:"storm_rate"`
	Connected            int     `json:"connected"`
	ConnectS             float64 `json:"connect_s"`
	KBPerConn            float64 `json:"kb_per_connection"`
	ArrivalP50Ms         float64 `json:"arrival_p50_ms"`
	ArrivalP99Ms         float64 `json:"arrival_p99_ms"`
	ArrivalLost          int     `json:"arrival_lost"`
	ArrivalWrong         int     `json:"arrival_wrong_state"`
	StormApplied         int     `json:"storm_applied"`
	StormAppliedPerS     float64 `json:"storm_applied_per_second"`
	StormBatchesFailed   int     `json:"storm_batches_failed"`
	StormP50Ms           float64 `json:"storm_p50_ms"`
	StormP99Ms           float64 `json:"storm_p99_ms"`
	StormNeverArrived    int     `json:"storm_never_arrived"`
	Lost                 int     `json:"lost"`
	StreamsOpen          int     `json:"streams_open"`
}

// The lines of eligo-livebench's report the summary reads (bench.go); a
// line missing from the report is a problem, so a change of its wording
// fails the CI run instead of leaving a figure out.
var (
	lbConnected = regexp.MustCompile(`^connected (\d+) subscribers in (\S+);`)
	lbMemory    = regexp.MustCompile(`^memory: server VmRSS \d+ KB before, \d+ KB with \d+ subscribers: ([0-9.-]+) KB per connection`)
	lbArrival   = regexp.MustCompile(`^arrival -> client has the document \(\d+ samples, all \d+ connected\): p50 (\S+), p99 (\S+), max \S+; lost (\d+), wrong state (\d+)`)
	lbStorm     = regexp.MustCompile(`^storm: \d+ changes in \d+ batches over \S+: (\d+) applied \(([0-9.]+)/s\), (\d+) batches failed`)
	lbStormLat  = regexp.MustCompile(`^storm push latency, POST -> client has that version or newer \(\d+ changes\): p50 (\S+), p99 (\S+), max \S+; never arrived (\d+)`)
	lbVerified  = regexp.MustCompile(`^after the storm: (\d+) of \d+ subscribers' last document differs from the store \(lost\), \d+ streams closed`)
	lbOpen      = regexp.MustCompile(`^streams still open: (\d+) of (\d+)`)
)

func (c *checker) live(read func(string) ([]byte, error)) live {
	l := live{
		OpenFiles: int(c.num("live.open_files")), OpenFilesNote: c.info["live.open_files_note"],
		SubscribersRequested: int(c.num("live.subscribers_requested")), Subscribers: int(c.num("live.subscribers")),
		LocalAddrs: int(c.num("live.local_addrs")), StormRate: int(c.num("live.storm_rate")),
	}
	var ok bool
	if l.part, ok = c.part("live"); !ok {
		return l
	}
	report, err := read("livebench.txt")
	if err != nil {
		c.problem("livebench.txt: %v", err)
		return l
	}
	lines := strings.Split(string(report), "\n")
	find := func(re *regexp.Regexp) []string {
		for _, line := range lines {
			if m := re.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				return m
			}
		}
		c.problem("livebench.txt has no line matching %q", re.String())
		return nil
	}
	if m := find(lbConnected); m != nil {
		l.Connected, l.ConnectS = c.atoi(m[1]), c.seconds(m[2])
	}
	if m := find(lbMemory); m != nil {
		l.KBPerConn, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := find(lbArrival); m != nil {
		l.ArrivalP50Ms, l.ArrivalP99Ms = c.ms(m[1]), c.ms(m[2])
		l.ArrivalLost, l.ArrivalWrong = c.atoi(m[3]), c.atoi(m[4])
	}
	if m := find(lbStorm); m != nil {
		l.StormApplied, l.StormBatchesFailed = c.atoi(m[1]), c.atoi(m[3])
		l.StormAppliedPerS, _ = strconv.ParseFloat(m[2], 64)
	}
	if m := find(lbStormLat); m != nil {
		l.StormP50Ms, l.StormP99Ms, l.StormNeverArrived = c.ms(m[1]), c.ms(m[2]), c.atoi(m[3])
	}
	if m := find(lbVerified); m != nil {
		l.Lost = c.atoi(m[1])
	}
	if m := find(lbOpen); m != nil {
		l.StreamsOpen = c.atoi(m[1])
	}
	if l.Connected != l.Subscribers {
		c.problem("live: %d subscribers connected, the script asked for %d", l.Connected, l.Subscribers)
	}
	if l.ArrivalLost+l.ArrivalWrong+l.StormBatchesFailed+l.StormNeverArrived+l.Lost > 0 || l.StreamsOpen != l.Connected {
		c.problem("live: arrivals lost %d, wrong state %d; storm batches failed %d, never arrived %d; lost %d; streams open %d of %d",
			l.ArrivalLost, l.ArrivalWrong, l.StormBatchesFailed, l.StormNeverArrived, l.Lost, l.StreamsOpen, l.Connected)
	}
	return l
}

func (c *checker) atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		c.problem("livebench.txt: %q is not a count", s)
	}
	return n
}

// ms reads one of eligo-livebench's durations (Go's form: 330µs, 1.2ms)
// in milliseconds.
func (c *checker) ms(s string) float64 {
	return c.seconds(s) * 1000
}

func (c *checker) seconds(s string) float64 {
	d, err := time.ParseDuration(s)
	if err != nil {
		c.problem("livebench.txt: %q is not a duration", s)
	}
	return d.Seconds()
}
