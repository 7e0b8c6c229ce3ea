package httpapi

import (
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/eligo/eligo"
)

// refuseUncleanPaths answers a path that is not in its clean form (a "."
// or ".." segment, a doubled slash) with a problem+json 404 rather than
// letting net/http's mux answer a 307 with an HTML body: a path means one
// resource, read one way, and a gateway that routes on the raw path must
// not reach another resource through eligo's cleaning.
func refuseUncleanPaths(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p := r.URL.Path; p == "" || p[0] != '/' ||
				(strings.Contains(p, "//") || strings.Contains(p, "/.")) && cleanPath(p) != p {
				writeError(w, r, logger, eligo.Errorf(eligo.ENOTFOUND, "no route matches %s %s", r.Method, p))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// cleanPath is the path net/http's mux would redirect to: path.Clean,
// keeping a trailing slash.
func cleanPath(p string) string {
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}

// positiveID parses a numeric id from a path in its one canonical form:
// decimal digits, no sign, no leading zero, within int64.
func positiveID(raw string) (int64, bool) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || raw[0] < '1' || raw[0] > '9' {
		return 0, false
	}
	return id, true
}
