package httpapi

import (
	"net/http"
)

// Where the handlers that httpapi routes but does not implement are served.
const (
	RiverUIPrefix = "/riverui" // Deps.RiverUI
	DemoPrefix    = "/demo"    // Deps.DemoPage
)

// routes returns the whole API: every route, the access rule of each, and
// the middleware around them all.
//
// Access rules: service routes take a service token only (a customer token
// is 403); order routes take a service token or the token of the customer
// who owns the order, and hand the handler the order they checked. Only the
// browser routes (browserOrderAccess) take the access_token query parameter.
// River UI takes a service token, which a browser gives as the Basic
// password, and refuses state-changing requests from other sites; the
// probes, /metrics and the demo page take none.
//
// CORS: with origins configured, the customer routes (eligibility, live,
// cancel, actions) answer those origins' browsers, preflights included; no
// other route does.
func routes(deps Deps, cors corsPolicy, m *metrics) (http.Handler, error) {
	service := requireService(deps, false)
	serviceOrSession := requireService(deps, true) // X-Session-Token accepted too

	mux := http.NewServeMux()
	var patterns []string
	handle := func(pattern string, h http.Handler) {
		mux.Handle(pattern, h)
		patterns = append(patterns, pattern)
	}
	handle("POST /v1/orders", service(handleCreateOrder(deps)))
	handle("GET /v1/orders/{id}", orderAccess(deps, handleGetOrder(deps)))
	eligibility := browserOrderAccess(deps, handleEligibility(deps))
	handle(eligibilityPattern, cors.allow(eligibility))
	handle("POST /v1/orders/{id}/cancel", cors.allow(orderAccess(deps, handleCancel(deps))))
	handle("POST /v1/orders/{id}/actions/{action}", cors.allow(orderAccess(deps, handleAction(deps))))
	if deps.Live != nil {
		handle("GET /v1/orders/{id}/live", cors.allow(browserOrderAccess(deps, handleLive(deps))))
	}
	if cors.on() { // the preflights of the customer routes
		handle("OPTIONS /v1/orders/{id}/eligibility", cors.preflight(http.MethodGet))
		handle("OPTIONS /v1/orders/{id}/cancel", cors.preflight(http.MethodPost))
		handle("OPTIONS /v1/orders/{id}/actions/{action}", cors.preflight(http.MethodPost))
		if deps.Live != nil {
			handle("OPTIONS /v1/orders/{id}/live", cors.preflight(http.MethodGet))
		}
	}
	handle("GET /v1/orders/{id}/versions", serviceOrSession(handleVersions(deps)))
	handle("GET /v1/versions/{id}", serviceOrSession(handleVersion(deps)))
	handle("POST /v1/events", service(handleEvents(deps)))
	handle("GET /v1/policy", service(handleGetPolicy(deps)))
	handle("PUT /v1/policy", service(handlePutPolicy(deps)))
	handle("GET /v1/policy/versions", service(handlePolicyVersions(deps)))

	handle("GET /healthz", handleHealthz())
	handle("GET /readyz", handleReadyz(deps))
	handle("GET /openapi.json", handleOpenAPI()) // the contract: openapi.json
	if deps.Gatherer != nil && !deps.NoMetricsRoute {
		handle("GET /metrics", MetricsHandler(deps.Gatherer))
	}

	if deps.RiverUI != nil { // operators: jobs can be cancelled, retried, deleted
		handle(RiverUIPrefix+"/", refuseCrossSite(requireServiceBasic(deps, deps.RiverUI)))
		handle(RiverUIPrefix, http.RedirectHandler(RiverUIPrefix+"/", http.StatusMovedPermanently))
	}
	if deps.DemoPage != nil { // anyone: it hands out customer tokens
		handle(DemoPrefix+"/", deps.DemoPage)
		handle(DemoPrefix, deps.DemoPage)
	}

	handle("/", handleMiss(deps, mux)) // 404 and 405 as problem+json

	var h http.Handler = eligibilityFirst(mux, func(w http.ResponseWriter, r *http.Request, id string) {
		cors.mark(w, r) // as cors.allow does on the mux's route
		eligibility.serve(w, r, id)
	})
	h = refuseUncleanPaths(deps.Logger)(h) // before the mux, which would redirect
	h = recoverPanics(deps.Logger)(h)
	h = observe(m, deps.Logger, deps.SlowRequest)(h)
	h = limitBodyTime(deps.BodyTimeout)(h)
	codes, err := documentedCodes(openAPISpec, patterns)
	if err != nil {
		return nil, err
	}
	m.prepare(codes)
	return h, nil
}
