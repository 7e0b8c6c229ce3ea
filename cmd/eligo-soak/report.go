package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the soak's results.
type report struct {
	Store      string         `json:"store"`
	Orders     int            `json:"orders"`
	Live       int            `json:"live"`
	Days       int            `json:"days"`
	Binary     string         `json:"binary"`
	Retention  bool           `json:"retention_available"`
	GOMAXPROCS int            `json:"gomaxprocs"`
	Started    time.Time      `json:"started"`
	Stores     []*storeResult `json:"stores"` // history, then fresh
}

// storeResult is what one store measured.
type storeResult struct {
	Name            string           `json:"name"`
	Planned         counts           `json:"planned"`
	Loaded          counts           `json:"loaded"`
	LoadSeconds     float64          `json:"load_seconds"`
	DiskBefore      int64            `json:"disk_bytes_before"`
	ReadySeconds    float64          `json:"start_to_ready_seconds"`
	StartLog        string           `json:"start_log,omitempty"`
	RSSKB           int64            `json:"rss_kb_after_start"`
	RSSAfterReadsKB int64            `json:"rss_kb_after_reads"`
	LiveReads       latency          `json:"live_reads"`
	ColdReads       latency          `json:"cold_reads"`
	Retention       *retentionResult `json:"retention,omitempty"`
}

// retentionResult is what one retention pass left.
type retentionResult struct {
	PassSeconds    float64 `json:"pass_seconds"` // from ready to the first complete pass
	Deleted        float64 `json:"rows_deleted"` // eligo_retention_deleted_total, all tables
	After          counts  `json:"after"`
	DiskAfter      int64   `json:"disk_bytes_after"`
	FreeAfter      int64   `json:"free_bytes_after"` // -1: the store does not say
	ColdKept       int     `json:"cold_kept"`        // of the cold orders read, still stored
	ColdChecked    int     `json:"cold_checked"`
	ExpiredGone    int     `json:"expired_gone"` // of orders ended a day past the bound, gone
	ExpiredChecked int     `json:"expired_checked"`
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\neligo-soak: %s, %d orders (%d live) over %d days, GOMAXPROCS %d, %s\n",
		r.Store, r.Orders, r.Live, r.Days, r.GOMAXPROCS, r.Started.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	hist, fresh := r.Stores[0], r.Stores[1]
	row := func(name string, f func(s *storeResult) string, ratio func(s *storeResult) float64) {
		line := name + "\t" + f(hist) + "\t" + f(fresh) + "\t"
		if ratio != nil && ratio(fresh) != 0 {
			line += fmt.Sprintf("%.2fx", ratio(hist)/ratio(fresh))
		}
		fmt.Fprintln(tw, line)
	}
	fmt.Fprintln(tw, "\thistory\tfresh\thistory/fresh")
	row("rows laid down (orders/versions/events)", func(s *storeResult) string { return s.Loaded.String() }, nil)
	row("rows as planned", func(s *storeResult) string { return yesNo(s.Loaded == s.Planned) }, nil)
	row("load time", func(s *storeResult) string { return seconds(s.LoadSeconds) }, nil)
	row("disk before retention", func(s *storeResult) string { return mib(s.DiskBefore) }, func(s *storeResult) float64 { return float64(s.DiskBefore) })
	row("start to ready", func(s *storeResult) string { return seconds(s.ReadySeconds) }, func(s *storeResult) float64 { return s.ReadySeconds })
	row("VmRSS after start", func(s *storeResult) string { return mib(s.RSSKB * 1024) }, func(s *storeResult) float64 { return float64(s.RSSKB) })
	row("VmRSS after the reads", func(s *storeResult) string { return mib(s.RSSAfterReadsKB * 1024) }, func(s *storeResult) float64 { return float64(s.RSSAfterReadsKB) })
	row("live read p50 / p99", func(s *storeResult) string { return s.LiveReads.pair() }, nil)
	row("live reads correct", func(s *storeResult) string { return s.LiveReads.correct() }, nil)
	row("cold read p50 / p99", func(s *storeResult) string { return s.ColdReads.pair() }, nil)
	row("cold reads correct", func(s *storeResult) string { return s.ColdReads.correct() }, nil)
	if !r.Retention {
		fmt.Fprintln(tw, "retention\tnot available in this build\t\t")
	} else {
		ret := func(f func(*retentionResult) string) func(*storeResult) string {
			return func(s *storeResult) string { return f(s.Retention) }
		}
		row("retention pass (from ready)", ret(func(r *retentionResult) string { return seconds(r.PassSeconds) }), nil)
		row("rows deleted (metric)", ret(func(r *retentionResult) string { return fmt.Sprintf("%.0f", r.Deleted) }), nil)
		row("rows after retention", ret(func(r *retentionResult) string { return r.After.String() }), nil)
		row("disk after retention", ret(func(r *retentionResult) string { return mib(r.DiskAfter) }), nil)
		row("  of which free for reuse", ret(func(r *retentionResult) string {
			if r.FreeAfter < 0 {
				return "-"
			}
			return mib(r.FreeAfter)
		}), nil)
		row("cold orders kept", ret(func(r *retentionResult) string { return fmt.Sprintf("%d/%d", r.ColdKept, r.ColdChecked) }), nil)
		row("expired orders gone", ret(func(r *retentionResult) string { return fmt.Sprintf("%d/%d", r.ExpiredGone, r.ExpiredChecked) }), nil)
	}
	tw.Flush()
	for _, s := range r.Stores {
		if s.StartLog != "" {
			fmt.Fprintf(w, "%s start: %s\n", s.Name, s.StartLog)
		}
		for _, l := range []latency{s.LiveReads, s.ColdReads} {
			if l.Example != "" {
				fmt.Fprintf(w, "%s: a wrong read: %s\n", s.Name, l.Example)
			}
		}
	}
}

func (r *report) writeJSON(path string, stdout io.Writer) error {
	if path == "" {
		return nil
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if path == "-" {
		_, err = stdout.Write(data)
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func (c counts) String() string {
	return fmt.Sprintf("%s / %s / %s", thousands(c.Orders), thousands(c.Versions), thousands(c.Events))
}

func (l latency) pair() string {
	if l.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%s / %s", micros(l.P50us), micros(l.P99us))
}

func (l latency) correct() string {
	if l.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", l.Correct, l.N)
}

func micros(us float64) string {
	if us >= 1000 {
		return fmt.Sprintf("%.2f ms", us/1000)
	}
	return fmt.Sprintf("%.0f µs", us)
}

func seconds(s float64) string {
	if s < 10 {
		return fmt.Sprintf("%.3f s", s)
	}
	return fmt.Sprintf("%.1f s", s)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
