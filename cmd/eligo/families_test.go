package main

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// startFamilies are the metric families `eligo serve` on the embedded
// default exposes before its first request, so that alerts and dashboards
// can be written against every one of them (deploy/monitoring). The
// families of the production engines (eligo_postgres_*, eligo_redis_*,
// eligo_kafka_*) appear when those are configured.
var startFamilies = []string{
	"eligo_actions_total",
	"eligo_build_info",
	"eligo_cancels_total",
	"eligo_cold_order_reads_total",
	"eligo_events_total",
	"eligo_hot_evictions_total",
	"eligo_hot_orders",
	"eligo_http_max_connections",
	"eligo_http_open_connections",
	"eligo_http_request_duration_seconds",
	"eligo_http_requests_total",
	"eligo_job_attempts_total",
	"eligo_job_lateness_seconds",
	"eligo_job_queue_depth",
	"eligo_job_queue_lateness_seconds",
	"eligo_job_run_seconds",
	"eligo_jobs",
	"eligo_live_closed_total",
	"eligo_live_coalesced_total",
	"eligo_live_push_delay_seconds",
	"eligo_live_pushes_total",
	"eligo_live_refused_total",
	"eligo_live_subscribers",
	"eligo_orders_created_total",
	"eligo_payment_rechecks_total",
	"eligo_policy_changes_total",
	"eligo_policy_seq",
	"eligo_read_model_repairs_total",
	"eligo_retention_deleted_total",
	"eligo_retention_oldest_seconds",
	"eligo_retention_passes_total",
	"eligo_store_available",
	"eligo_unknown_order_reads_total",
}

func TestMetricFamiliesAtStart(t *testing.T) {
	t.Parallel()
	srv := startServe(t, t.TempDir(), testEnv(nil))
	resp, err := http.Get(srv.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var got []string
	for _, m := range regexp.MustCompile(`(?m)^# TYPE (eligo_\w+) `).FindAllSubmatch(body, -1) {
		got = append(got, string(m[1]))
	}
	slices.Sort(got)
	require.Equal(t, startFamilies, got, "the families at start; a new one belongs in this list, deploy/monitoring and docs/operations.md")
}
