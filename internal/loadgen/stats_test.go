package loadgen

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHistogramQuantiles(t *testing.T) {
	t.Parallel()
	var h histogram
	require.Zero(t, h.Quantile(0.5))
	for i := 1; i <= 10000; i++ {
		h.Observe(time.Duration(i) * time.Microsecond) // 1 µs .. 10 ms, evenly
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5 * time.Millisecond}, {0.9, 9 * time.Millisecond}, {0.99, 9900 * time.Microsecond}, {1, 10 * time.Millisecond}} {
		got := h.Quantile(tt.q)
		require.InEpsilon(t, float64(tt.want), float64(got), 0.02, "q%v: got %s, want about %s", tt.q, got, tt.want)
	}
	require.Equal(t, 10*time.Millisecond, h.Max())
	require.EqualValues(t, 10000, h.Count())
	h.Observe(-time.Second) // a clock step: counted as zero
	h.Observe(2 * time.Hour)
	require.Equal(t, 2*time.Hour, h.Max())
}

func TestHistogramBuckets(t *testing.T) {
	t.Parallel()
	for _, us := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, 1<<40 + 12345, 1<<63 + 5} {
		i := histBucket(us)
		require.Less(t, i, histBuckets, "%d", us)
		mid := histValue(i)
		require.InEpsilon(t, float64(us)+1, float64(mid)+1, 0.02, "%d µs lands in bucket %d around %d", us, i, mid)
	}
}

func TestReadEvents(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 10000)
	in := ": heartbeat\n\nevent: eligibility\ndata: {\"a\":1}\n\nid: 7\ndata: one\ndata: two\r\n\r\ndata:" + long + "\n\n: bye\nevent: close\ndata: {\"code\":1001}\n\n"
	var got []string
	err := readEvents(strings.NewReader(in), func(event string, d []byte) error {
		got = append(got, event+"|"+string(d))
		return nil
	})
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, []string{`eligibility|{"a":1}`, "|one\ntwo", "|" + long, `close|{"code":1001}`}, got)

	stop := errors.New("stop")
	require.ErrorIs(t, readEvents(strings.NewReader(in), func(string, []byte) error { return stop }), stop)
}

func TestParseWrk(t *testing.T) {
	t.Parallel()
	out := `Running 2s test @ http://127.0.0.1:8080
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  500.00us  10.00ms   90.00%
    Req/Sec    13.00k     1.00k   15.00k    70.00%
  Latency Distribution
     50%  1.10ms
     75%  1.30ms
     90%  1.60ms
     99%    2.50ms
  52000 requests in 2.00s, 10.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:  26000.50
Transfer/sec:      5.00MB
`
	p, err := parseWrk(out)
	require.NoError(t, err)
	require.InDelta(t, 26000.5, p.RPS, 0.01)
	require.EqualValues(t, 52000, p.Requests)
	require.EqualValues(t, 7, p.Errors)
	require.InDelta(t, 1.1, p.P50Ms, 1e-9)
	require.InDelta(t, 2.5, p.P99Ms, 1e-9)
	_, err = parseWrk("wrk: connection refused")
	require.Error(t, err)
}

func TestWrkThreads(t *testing.T) {
	t.Parallel()
	require.Equal(t, 2, wrkThreads(2, 32), "a small machine keeps two threads")
	require.Equal(t, 2, wrkThreads(8, 32))
	require.Equal(t, 4, wrkThreads(16, 128), "a quarter of 16 CPUs")
	require.Equal(t, 16, wrkThreads(64, 128))
	require.Equal(t, 1, wrkThreads(16, 1), "never more threads than connections")
}

func TestParseMaxAge(t *testing.T) {
	t.Parallel()
	require.Equal(t, 4, parseMaxAge("private, max-age=4"))
	require.Equal(t, 0, parseMaxAge("max-age=0"))
	require.Equal(t, -1, parseMaxAge("no-store"))
	require.Equal(t, -1, parseMaxAge(""))
}

func TestProcReaders(t *testing.T) {
	t.Parallel()
	rss, peak, err := readRSS(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, rss)
	require.GreaterOrEqual(t, peak, rss)
	_, err = cpuTime(os.Getpid())
	require.NoError(t, err)
	_, _, err = readRSS(-1)
	require.Error(t, err)
}
