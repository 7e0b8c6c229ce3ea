package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// TestMetricsAddr pins --metrics-addr: /metrics is served on a listener of
// its own, and no longer on the API's.
func TestMetricsAddr(t *testing.T) {
	t.Parallel()
	srv := startServe(t, t.TempDir(), testEnv(nil), "--metrics-addr", "127.0.0.1:0")
	var metricsURL string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`"msg":"metrics listening","url":"([^"]+)"`).FindStringSubmatch(srv.output.String())
		if m != nil {
			metricsURL = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "the metrics listener's address is logged: %s", srv.output.String())
	require.NotEqual(t, srv.url, metricsURL)

	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	require.Equal(t, http.StatusNotFound, call(t, "GET", srv.url+"/v1/orders/o", jobsTestToken, nil, nil), "one request for the metrics to count")
	code, body := get(metricsURL + "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "eligo_http_requests_total", "the API's metrics")
	require.Contains(t, body, "go_goroutines")
	require.Regexp(t, `eligo_build_info\{go_version="go[^"]+",revision="[^"]+",version="[^"]+"\} 1`, body)

	code, body = get(metricsURL + "/debug/pprof/")
	require.Equal(t, http.StatusOK, code, "profiles are on the metrics listener")
	require.Contains(t, body, "goroutine")
	code, body = get(metricsURL + "/debug/pprof/heap?debug=1")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "heap profile")
	code, _ = get(srv.url + "/debug/pprof/")
	require.Equal(t, http.StatusNotFound, code, "never on the public listener")

	code, _ = get(srv.url + "/metrics")
	require.Equal(t, http.StatusNotFound, code, "not on the public listener")
	code, _ = get(metricsURL + "/v1/orders/o")
	require.Equal(t, http.StatusNotFound, code, "the metrics listener serves nothing else")
	code, _ = get(srv.url + "/healthz")
	require.Equal(t, http.StatusOK, code)

	srv.shutdown(t)
	var last map[string]any
	lines := strings.Split(strings.TrimSpace(srv.output.String()), "\n")
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &last))
	require.Equal(t, "stopped", last["msg"], "the last line says the server stopped")
	require.Equal(t, "its caller stopped it", last["reason"])
}

// failingCollector is a collector whose source cannot be read now, as
// eligo_jobs's query during a database outage.
type failingCollector struct{ desc *prometheus.Desc }

func (c failingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c failingCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(c.desc, errors.New("the store is down"))
}

// A collector that fails leaves out its own series, not the page: the
// scrape answers 200 with every other metric (before, promhttp's default
// answered 500 and Prometheus saw the whole target down during an
// outage, eligo_store_available with it).
func TestMetricsSurviveAFailingCollector(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "eligo_store_available", Help: "test"})
	reg.MustRegister(up, failingCollector{desc: prometheus.NewDesc("eligo_jobs", "test", nil, nil)})
	mux := http.NewServeMux()
	operatorRoutes(mux, reg)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "eligo_store_available 0")
}
