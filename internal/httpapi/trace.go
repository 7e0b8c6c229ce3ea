package httpapi

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// TraceHandler wraps the API in a span per request (otelhttp), parented on
// the caller's traceparent, named by route pattern ("GET
// /v1/orders/{id}/eligibility") once the mux has matched it, by method
// before. Wrap only when tracing is on: off, the API runs without it and
// pays nothing.
func TraceHandler(h http.Handler) http.Handler {
	return otelhttp.NewHandler(h, "http",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if r.Pattern == "" {
				return r.Method
			}
			return routeLabel(r.Pattern)
		}))
}

// routePath is the path of a route pattern, without its method: the
// http.route attribute of semantic conventions.
func routePath(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return routeLabel(pattern)
}
