package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/eligo/eligo"
)

var healthBody = []byte(`{"status":"ok"}` + "\n")

// handleHealthz is liveness: 200 whenever the process serves HTTP.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = contentTypeJSON
		_, _ = w.Write(healthBody)
	})
}

// handleReadyz is readiness: 200 when Deps.Ready says so (or is nil) and
// the store answers within its deadline, 503 otherwise, so a balancer sends
// traffic only once the read model is built, and none while the system of
// record cannot answer; 200 again once it can.
// While Deps.Degraded says something, the body is
// {"status":"degraded","degraded":"..."} and the status still 200.
func handleReadyz(deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if deps.Ready != nil && !deps.Ready() {
			writeError(w, r, deps.Logger, eligo.Errorf(eligo.EUNAVAILABLE, "the server is not ready to take traffic yet; retry shortly"))
			return
		}
		if deps.Engine != nil {
			if err := deps.Engine.Ping(r.Context()); err != nil {
				deps.Logger.WarnContext(r.Context(), "not ready: the store does not answer", "err", err)
				writeError(w, r, deps.Logger, eligo.Errorf(eligo.EUNAVAILABLE, "the store does not answer; retry shortly"))
				return
			}
		}
		w.Header()["Content-Type"] = contentTypeJSON
		if deps.Degraded != nil {
			if d := deps.Degraded(); d != "" {
				// Ready still: the store answers what the degraded part
				// cannot.
				body, _ := json.Marshal(struct {
					Status   string `json:"status"`
					Degraded string `json:"degraded"`
				}{"degraded", d})
				_, _ = w.Write(append(body, '\n'))
				return
			}
		}
		_, _ = w.Write(healthBody)
	})
}
