package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// readRSS returns a process's resident memory now (VmRSS) and at its peak
// (VmHWM), in bytes, from /proc/PID/status.
func readRSS(pid int) (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		fields := strings.Fields(v) // "123456 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			peak = n << 10
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return rss, peak, sc.Err()
}

// cpuTime returns the CPU time a process has used, user and system, from
// /proc/PID/stat (in clock ticks of 1/100 s, as on every Linux eligo runs
// on).
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields from
	// after it, where field 3 (state) comes first.
	i := strings.LastIndexByte(string(data), ')')
	fields := strings.Fields(string(data[i+1:]))
	if i < 0 || len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat has an unexpected shape", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat has an unexpected shape", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// rssWatch samples a process's resident memory every second while a run
// lasts, keeping the largest sample and the last, and takes its CPU time
// at the start and at the end.
type rssWatch struct {
	pid      int
	mu       sync.Mutex
	last     int64
	max      int64
	hwm      int64
	cpuStart time.Duration
	err      error
	done     chan struct{}
}

func newRSSWatch(pid int) *rssWatch { return &rssWatch{pid: pid, done: make(chan struct{})} }

func (w *rssWatch) sample() {
	rss, hwm, err := readRSS(w.pid)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.err = err
		return
	}
	w.last, w.max, w.hwm = rss, max(w.max, rss), hwm
}

func (w *rssWatch) start(ctx context.Context) {
	if w.pid == 0 {
		close(w.done)
		return
	}
	w.sample()
	w.cpuStart, _ = cpuTime(w.pid)
	go func() {
		defer close(w.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.sample()
			}
		}
	}()
}

// result returns what was seen, sampling once more first; nil when no
// process was watched.
func (w *rssWatch) result() *ServerReport {
	if w.pid == 0 {
		return nil
	}
	<-w.done
	w.sample()
	cpu, _ := cpuTime(w.pid)
	w.mu.Lock()
	defer w.mu.Unlock()
	m := &ServerReport{PID: w.pid, RSSBytes: w.last, MaxSampledRSSBytes: w.max, PeakRSSBytes: w.hwm, CPUSeconds: (cpu - w.cpuStart).Seconds()}
	if w.err != nil {
		m.Error = w.err.Error()
	}
	return m
}
