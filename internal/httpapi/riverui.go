package httpapi

import (
	"mime"
	"net/http"
)

// refuseCrossSite protects River UI from cross-site request forgery: it
// can cancel, retry and delete jobs, and a browser that holds its Basic
// credentials sends them with requests that other sites make.
//
// Safe methods (GET, HEAD, OPTIONS) pass. Any other request:
//   - made by a browser for another origin (Sec-Fetch-Site other than
//     same-origin or none, or an Origin whose host is not the request's)
//     is 403, by net/http's CrossOriginProtection;
//   - that a browser says is same-origin (Sec-Fetch-Site: same-origin, or
//     its own Origin) passes: River UI's page sends its writes so, as
//     text/plain or without a body;
//   - with no such evidence (curl, scripts, browsers from before 2020)
//     must be JSON, else 415: a cross-site form or no-cors fetch can only
//     send form or text/plain bodies.
func refuseCrossSite(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "River UI refuses state-changing requests from other sites", http.StatusForbidden)
	}))
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !safeMethod(r.Method) && !sameOrigin(r) && !isJSON(r.Header.Get("Content-Type")) {
			http.Error(w, "River UI takes state-changing requests as application/json, or from its own page", http.StatusUnsupportedMediaType)
			return
		}
		next.ServeHTTP(w, r)
	}))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a browser says r comes from the server's own
// origin. It is called once CrossOriginProtection let r through, so an
// Origin that is present is the server's.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return true
	case "":
		return r.Header.Get("Origin") != ""
	}
	return false
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
