package main

import (
	"fmt"
	"strings"
)

// parseInfo reads the script's key=value lines; later keys win.
func parseInfo(text string) map[string]string {
	info := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) != "" {
			info[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return info
}

// table is summary.txt: one row per figure.
func (s *summary) table() string {
	var rows [][3]string
	skip := false // the figures of a part that failed are not shown
	add := func(partName, figure, format string, args ...any) {
		if !skip {
			rows = append(rows, [3]string{partName, figure, fmt.Sprintf(format, args...)})
		}
	}
	status := func(name string, p part) {
		skip = false
		add(name, "status", "%s (%.0f s of %.0f s)", p.Status, p.Seconds, p.BudgetS)
		skip = p.Status != "ok"
	}

	r := s.ReadPath
	status("read path", r.part)
	tool := r.Tool
	if r.ToolNote != "" {
		tool += " (" + r.ToolNote + ")"
	}
	add("read path", "client", "%s, %d connections, %d rounds", tool, r.Conns, r.Rounds)
	add("read path", "eligibility req/s (median)", "%.0f, p50 %.2f ms", r.EligibilityRPS, r.EligibilityP50Ms)
	add("read path", "/healthz req/s (median)", "%.0f", r.HealthzRPS)
	add("read path", "ratio req/s, server CPU", "%.2f, %.2f (target 0.90)", r.MedianRatio, r.CPURatio)
	add("read path", "errors", "%d", r.Errors)

	l := s.Live
	status("live", l.part)
	openFiles := fmt.Sprintf("%d", l.OpenFiles)
	if l.OpenFilesNote != "" {
		openFiles += " (" + l.OpenFilesNote + ")"
	}
	add("live", "open-file limit", "%s", openFiles)
	add("live", "subscribers asked, run, held", "%d, %d, %d (from %d local addresses, connected in %.1f s)",
		l.SubscribersRequested, l.Subscribers, l.Connected, l.LocalAddrs, l.ConnectS)
	add("live", "server memory per connection", "%.2f KB", l.KBPerConn)
	add("live", "arrival -> client p50 / p99", "%.2f / %.2f ms (lost %d, wrong %d)", l.ArrivalP50Ms, l.ArrivalP99Ms, l.ArrivalLost, l.ArrivalWrong)
	add("live", "storm applied", "%d at %.0f/s of %d/s asked (%d batches failed)", l.StormApplied, l.StormAppliedPerS, l.StormRate, l.StormBatchesFailed)
	add("live", "storm push p50 / p99", "%.2f / %.2f ms (never arrived %d)", l.StormP50Ms, l.StormP99Ms, l.StormNeverArrived)
	add("live", "lost, streams open", "%d, %d", l.Lost, l.StreamsOpen)

	o := s.Load
	status("load", o.part)
	add("load", "orders placed / finished", "%d / %d of %d in %s", o.Placed, o.Finished, o.Orders, o.Duration)
	add("load", "requests/s, all routes", "%.0f", o.RPS)
	add("load", "eligibility reads/s, p99", "%.0f, %.2f ms", o.EligibilityRPS, o.EligibilityP99Ms)
	add("load", "creates/s, p50 / p99", "%.0f, %.2f / %.2f ms (late against the script p99 %.0f ms)", o.CreateRPS, o.CreateP50Ms, o.CreateP99Ms, o.CreateLagP99Ms)
	add("load", "events applied/s, push p99", "%.0f, %.2f ms", o.EventsPerSecond, o.PushP99Ms)
	add("load", "errors, wrong answers", "%d, %d", o.Errors, o.Wrong)

	var b strings.Builder
	m := s.Machine
	fmt.Fprintf(&b, "device-bench %s: %.0f s of a %.0f s budget; binaries %s (build %.0f s)\n", s.Started, s.TotalS, s.BudgetS, s.Binaries, s.BuildS)
	fmt.Fprintf(&b, "machine: %d CPUs, %.1f GiB memory, %s, load average %s -> %s, %s\n\n",
		m.CPUs, float64(m.MemoryKB)/(1<<20), m.Kernel, m.LoadStart, m.LoadEnd, m.Go)
	w := [2]int{}
	for _, row := range rows {
		for i := range 2 {
			w[i] = max(w[i], len(row[i]))
		}
	}
	fmt.Fprintf(&b, "%-*s  %-*s  %s\n", w[0], "part", w[1], "figure", "value")
	for _, row := range rows {
		fmt.Fprintf(&b, "%-*s  %-*s  %s\n", w[0], row[0], w[1], row[1], row[2])
	}
	if s.OK {
		b.WriteString("\nall parts ok\n")
	} else {
		fmt.Fprintf(&b, "\nFAILED: %d problems\n", len(s.Problems))
		for _, p := range s.Problems {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	return b.String()
}
