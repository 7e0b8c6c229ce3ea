package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// What a browser app on an allowed origin may send to the customer routes
// and read from their answers. The customer's token travels in
// Authorization (or, for EventSource, in the access_token query
// parameter), never in a cookie, so credentials are not allowed and no
// origin is a wildcard.
const (
	corsAllowHeaders  = "Authorization, Content-Type, If-Match, If-None-Match, Last-Event-ID"
	corsExposeHeaders = "ETag, Retry-After, X-Request-Id"
	corsMaxAge        = "600" // seconds a browser may keep a preflight's answer
)

// ParseCORSOrigins reads a comma-separated list of origins, each
// scheme://host[:port] exactly as a browser sends it in Origin
// (https://app.example.com). It refuses "*", "null", and anything with a
// path, a query, credentials or a scheme other than http and https. Scheme
// and host are compared without case and a default port is dropped, so
// that HTTPS://App.example.com:443 allows https://app.example.com. An
// empty list allows none: CORS is off.
func ParseCORSOrigins(list string) ([]string, error) {
	var origins []string
	for o := range strings.SplitSeq(list, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		norm, err := normalizeOrigin(o)
		if err != nil {
			return nil, err
		}
		origins = append(origins, norm)
	}
	return origins, nil
}

func normalizeOrigin(o string) (string, error) {
	const want = "expected scheme://host[:port] as a browser sends it in Origin, for example https://app.example.com"
	if o == "*" {
		return "", fmt.Errorf("CORS origin \"*\" is not allowed: list each origin that may call eligo (%s)", want)
	}
	u, err := url.Parse(o)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return "", fmt.Errorf("CORS origin %q is not an origin; %s", o, want)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", fmt.Errorf("CORS origin %q: the scheme must be http or https; %s", o, want)
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.Contains(o, "?") || strings.Contains(o, "#"):
		return "", fmt.Errorf("CORS origin %q has more than scheme, host and port; %s", o, want)
	case strings.Contains(u.Hostname(), "*"):
		return "", fmt.Errorf("CORS origin %q: wildcards are not allowed; %s", o, want)
	}
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		return scheme + "://" + net.JoinHostPort(host, port), nil
	}
	if strings.Contains(host, ":") { // IPv6
		host = "[" + host + "]"
	}
	return scheme + "://" + host, nil
}

// corsPolicy answers browsers on the allowed origins. Its zero value (no
// origins) is off: its middleware adds nothing and no preflight is routed.
type corsPolicy struct {
	origins map[string]bool
}

// newCORS returns the policy of the origins, which ParseCORSOrigins gave
// or which must read the same.
func newCORS(origins []string) (corsPolicy, error) {
	c := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		norm, err := normalizeOrigin(o)
		if err != nil {
			return corsPolicy{}, err
		}
		c.origins[norm] = true
	}
	return c, nil
}

// on reports whether any origin is allowed.
func (c corsPolicy) on() bool { return len(c.origins) > 0 }

// allowed returns the request's Origin when it is one of the policy's.
func (c corsPolicy) allowed(r *http.Request) (string, bool) {
	o := r.Header.Get("Origin")
	return o, o != "" && c.origins[o]
}

// allow is the middleware of a customer route: an answer to an allowed
// origin says so (Access-Control-Allow-Origin) and exposes the headers a
// client reads, errors included; every answer varies by Origin (mark).
// With the policy off it returns next as it is.
func (c corsPolicy) allow(next http.Handler) http.Handler {
	if !c.on() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mark(w, r)
		next.ServeHTTP(w, r)
	})
}

// mark writes the CORS headers of the answer to r on a customer route;
// with the policy off, none.
func (c corsPolicy) mark(w http.ResponseWriter, r *http.Request) {
	if !c.on() {
		return
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	if origin, ok := c.allowed(r); ok {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	}
}

// preflight answers OPTIONS on a customer route whose method is method:
// 204, with the CORS permissions when the Origin is allowed and asks for
// that method, and without them otherwise (the browser then refuses the
// request, saying that no Access-Control-Allow-Origin came).
func (c corsPolicy) preflight(method string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Allow", method+", OPTIONS")
		h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
		asked := r.Header.Get("Access-Control-Request-Method")
		if origin, ok := c.allowed(r); ok && asked == method {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", method)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
