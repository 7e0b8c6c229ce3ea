package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// summarize returns p50, p99 and max of ds.
func summarize(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no samples"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("p50 %s, p99 %s, max %s", round(quantile(s, .50)), round(quantile(s, .99)), round(s[len(s)-1]))
}

// quantile returns the q-quantile of sorted s (nearest rank).
func quantile(s []time.Duration, q float64) time.Duration {
	i := int(float64(len(s))*q+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func round(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}

// rssKB returns the resident memory of process pid (VmRSS, in KB), or 0
// when pid is 0 or unreadable.
func rssKB(pid int) int64 {
	if pid == 0 {
		return 0
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// histogram is a cumulative Prometheus histogram: upper bound -> count.
type histogram map[float64]float64

// since summarizes the observations made between earlier and h as the
// bucket bounds that hold their p50 and p99.
func (h histogram) since(earlier histogram) string {
	bounds := make([]float64, 0, len(h))
	for le := range h {
		bounds = append(bounds, le)
	}
	slices.Sort(bounds)
	total := h[math.Inf(1)] - earlier[math.Inf(1)]
	if total <= 0 {
		return "no observations"
	}
	at := func(q float64) string {
		for _, le := range bounds {
			if h[le]-earlier[le] >= q*total {
				if math.IsInf(le, 1) {
					return "> the largest bucket"
				}
				return "<= " + round(time.Duration(le*float64(time.Second))).String()
			}
		}
		return "?"
	}
	return fmt.Sprintf("%.0f pushes, p50 %s, p99 %s", total, at(.50), at(.99))
}

// pushDelay reads the server's eligo_live_push_delay_seconds histogram for
// pushes of kind (change, policy) from /metrics.
func (a *api) pushDelay(ctx context.Context, kind string) (histogram, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: status %d", resp.StatusCode)
	}
	prefix := `eligo_live_push_delay_seconds_bucket{kind="` + kind + `",le="`
	h := histogram{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		le, count, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		bound, err1 := strconv.ParseFloat(le, 64)
		n, err2 := strconv.ParseFloat(count, 64)
		if err1 == nil && err2 == nil {
			h[bound] = n
		}
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("/metrics has no eligo_live_push_delay_seconds")
	}
	return h, sc.Err()
}
