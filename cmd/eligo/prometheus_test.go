package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eligo/eligo/internal/testenv"
)

// TestMonitoringAgainstPrometheus is the proof that the names in
// deploy/monitoring exist: a real Prometheus (Debian's package) scrapes a
// real `eligo serve` on every production engine (PostgreSQL, Redis, Kafka
// from kfake, River workers) under a short `eligo load`, loads alerts.yml,
// and answers, through its HTTP API:
//
//   - every dashboard query with at least one series;
//   - every alert's watched quantity (its expression without the final
//     comparison, see watchedQuantity) with at least one series, so each
//     alert can fire: a quiet comparison returns nothing, which would hide
//     a misspelt name;
//   - every eligo vector selector of both files, alone, with at least one
//     series, so that no part of an expression (the denominator of a
//     ratio, say) is empty;
//   - every rule evaluated without an error (/api/v1/rules health "ok").
//
// A second `eligo serve`, on the embedded default, is scraped too, for
// the families of the in-process read model (the hot set).
//
// Not parallel: the load has a few seconds, which the package's parallel
// tests would starve.
func TestMonitoringAgainstPrometheus(t *testing.T) {
	prometheusBin := monitoringTool(t, "prometheus")
	connURL := testenv.PostgresSchemaURL(t)
	redisAddr := testenv.RedisAddr(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, allKafkaTopics...))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	var b [6]byte
	_, _ = rand.Read(b[:])
	srv := startServe(t, t.TempDir(), testEnv(map[string]string{
		"ELIGO_POSTGRES_URL":  connURL,
		"ELIGO_REDIS_ADDR":    redisAddr,
		"ELIGO_REDIS_PREFIX":  "eligo-test-" + hex.EncodeToString(b[:]),
		"ELIGO_KAFKA_BROKERS": strings.Join(cluster.ListenAddrs(), ","),
	}))

	// Beside it, one on the embedded default: the in-process hot set
	// (eligo_hot_*) exists there only; a replica on Redis has none.
	embedded := startServe(t, t.TempDir(), testEnv(nil))

	prom := startPrometheus(t, prometheusBin, strings.TrimPrefix(srv.url, "http://"), strings.TrimPrefix(embedded.url, "http://"))
	require.Eventually(t, func() bool { return prom.value(t, `sum(up{job="eligo"})`) == 2 },
		15*time.Second, 100*time.Millisecond, "Prometheus scrapes eligo\n%s", prom.log.String())

	var loadOut, loadErr syncBuffer
	err = run(context.Background(), []string{"eligo", "load", "--url", srv.url, "--seed", "7",
		"--orders", "20", "--duration", "4s", "--promise", "1s", "--ramp", "300ms", "--poll", "100ms", "--chat-share", "0.3"},
		testEnv(nil), &loadOut, &loadErr)
	require.NoError(t, err, "%s\n%s", loadOut.String(), loadErr.String())
	const eligibility200 = `sum(eligo_http_requests_total{route="GET /v1/orders/{id}/eligibility",code="200"})`
	require.Eventually(t, func() bool { return prom.value(t, eligibility200) > 0 },
		10*time.Second, 100*time.Millisecond, "Prometheus saw the load's reads")

	alerts := loadAlerts(t)
	// Grafana's $__rate_interval is at least four scrape intervals.
	queries := dashboardQueries(t, "4s")
	var checked []string
	for _, q := range queries {
		checked = append(checked, q)
		checked = append(checked, selectors(q)...)
	}
	for _, r := range alerts {
		quantity, ok := watchedQuantity(r.Expr)
		require.True(t, ok, "%s: no final comparison", r.Alert)
		checked = append(checked, quantity)
		checked = append(checked, selectors(r.Expr)...)
	}
	for _, q := range checked {
		n, err := prom.series(q)
		require.NoError(t, err, q)
		require.Positive(t, n, "Prometheus has no series for %s\n%s", q, logLines(srv.output.String(), `"level":"WARN"`, `"level":"ERROR"`))
	}

	// Every alert is loaded, and has been evaluated without an error.
	require.Eventually(t, func() bool {
		rules := prom.rules(t)
		if len(rules) != len(alerts) {
			return false
		}
		for _, r := range rules {
			if r.Health != "ok" {
				require.NotEqual(t, "err", r.Health, "%s: %s", r.Name, r.LastError)
				return false
			}
		}
		return true
	}, 10*time.Second, 200*time.Millisecond, "Prometheus evaluates every alert of alerts.yml")
}

type prometheusServer struct {
	url string
	log *syncBuffer
}

// startPrometheus runs prometheus on a free port with its own
// configuration and storage, scraping target every second and evaluating
// alerts.yml every second; it is stopped when the test ends.
func startPrometheus(t *testing.T, bin string, targets ...string) *prometheusServer {
	t.Helper()
	dir := t.TempDir()
	rules, err := filepath.Abs(filepath.Join(monitoringDir, "alerts.yml"))
	require.NoError(t, err)
	var quoted []string
	for _, target := range targets {
		quoted = append(quoted, strconv.Quote(target))
	}
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: eligo
    static_configs:
      - targets: [%s]
`, rules, strings.Join(quoted, ", "))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o600))
	addr := freeAddr(t)
	p := &prometheusServer{url: "http://" + addr, log: &syncBuffer{}}
	cmd := exec.Command(bin, "--config.file", filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path", filepath.Join(dir, "data"), "--web.listen-address", addr)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("prometheus exited: %v\n%s", err, p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus is not ready on %s\n%s", addr, p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// get calls Prometheus's HTTP API and decodes the data of its answer, or
// returns the error it answered.
func (p *prometheusServer) get(path string, query url.Values, data any) error {
	resp, err := http.Get(p.url + path + "?" + query.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var answer struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return fmt.Errorf("%s: %d %s", path, resp.StatusCode, body)
	}
	if answer.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, answer.ErrorType, answer.Error)
	}
	return json.Unmarshal(answer.Data, data)
}

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// series returns how many series an instant query returns now.
func (p *prometheusServer) series(query string) (int, error) {
	var data struct {
		ResultType string       `json:"resultType"`
		Result     []promSample `json:"result"`
	}
	if err := p.get("/api/v1/query", url.Values{"query": {query}}, &data); err != nil {
		return 0, err
	}
	if data.ResultType != "vector" {
		return 0, fmt.Errorf("%s: a %s, not a vector", query, data.ResultType)
	}
	return len(data.Result), nil
}

// value returns the value of a query that returns one series, or -1 while
// it returns none.
func (p *prometheusServer) value(t *testing.T, query string) float64 {
	t.Helper()
	var data struct {
		Result []promSample `json:"result"`
	}
	require.NoError(t, p.get("/api/v1/query", url.Values{"query": {query}}, &data))
	if len(data.Result) == 0 {
		return -1
	}
	require.Len(t, data.Result, 1, query)
	var v float64
	s, _ := data.Result[0].Value[1].(string)
	_, err := fmt.Sscan(s, &v)
	require.NoError(t, err, "%s = %v", query, data.Result[0].Value)
	return v
}

type promRule struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

// rules returns the alerting rules Prometheus loaded.
func (p *prometheusServer) rules(t *testing.T) []promRule {
	t.Helper()
	var data struct {
		Groups []struct {
			Rules []promRule `json:"rules"`
		} `json:"groups"`
	}
	require.NoError(t, p.get("/api/v1/rules", url.Values{"type": {"alert"}}, &data))
	var rules []promRule
	for _, g := range data.Groups {
		rules = append(rules, g.Rules...)
	}
	return rules
}
