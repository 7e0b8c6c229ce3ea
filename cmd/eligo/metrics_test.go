package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

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
