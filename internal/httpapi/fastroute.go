package httpapi

import (
	"net/http"
	"strings"
)

// eligibilityPattern is the route of the eligibility read, the hottest one.
const eligibilityPattern = "GET /v1/orders/{id}/eligibility"

// eligibilityFirst serves the requests that the mux would route to
// eligibilityPattern with eligibility, given the id that eligibilityID
// read, without the mux's general matching (and its allocation of the path
// values; r.PathValue("id") is not set); every other request goes to the
// mux. r.Pattern is set as the mux sets it, for the metrics and logs.
func eligibilityFirst(mux http.Handler, eligibility func(w http.ResponseWriter, r *http.Request, id string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := eligibilityID(r); ok {
			r.Pattern = eligibilityPattern
			eligibility(w, r, id)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// eligibilityID returns the {id} of a request that eligibilityPattern
// matches, taking only the plain case: GET, a path with no escapes (so the
// mux's unescaped segment is the path's own) of the form
// /v1/orders/{id}/eligibility with an id of one non-empty segment. Anything
// else (HEAD, an escaped slash, a trailing slash) is left to the mux.
func eligibilityID(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet || r.URL.RawPath != "" {
		return "", false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/orders/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, "/eligibility")
	if !ok || id == "" || strings.IndexByte(id, '/') >= 0 {
		return "", false
	}
	return id, true
}
