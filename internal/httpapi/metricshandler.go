package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsHandler serves g's metrics in the Prometheus exposition format.
// A collector that fails (a database query behind eligo_jobs during an
// outage) leaves out its own series, not the page: the scrape still
// answers 200 with every other metric, eligo_store_available among them,
// so that an outage shows as the metric that says so rather than as a
// target that is down. promhttp_metric_handler_errors_total counts the
// failures.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
