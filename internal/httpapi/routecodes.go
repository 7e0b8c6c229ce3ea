package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// missCodes are what the catch-all answers: a path it refuses (400), no
// route (404), a route without the method (405).
var missCodes = []int{http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed}

// documentedCodes returns, for each route pattern, the status codes that
// openapi.json lists for it: the codes its metrics start with, at zero, so
// that alerts can be written against them from the start and no series
// exists for a pair the API never answers. A pattern with a method is that
// operation (with HEAD for a GET); one without a method is every operation
// of its path. The catch-all "/" gets missCodes.
func documentedCodes(spec []byte, patterns []string) (map[string][]int, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("httpapi: reading openapi.json: %w", err)
	}
	out := make(map[string][]int, len(patterns))
	for _, pattern := range patterns {
		if pattern == "/" {
			out[routeLabel(pattern)] = missCodes
			continue
		}
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = "", pattern
		}
		var codes []int
		for m, raw := range doc.Paths[path] {
			m = strings.ToUpper(m)
			if method != "" && m != method && (method != http.MethodGet || m != http.MethodHead) {
				continue
			}
			var op struct {
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if json.Unmarshal(raw, &op) != nil { // a path's parameters, not an operation
				continue
			}
			for c := range op.Responses {
				if n, err := strconv.Atoi(c); err == nil && !slices.Contains(codes, n) {
					codes = append(codes, n)
				}
			}
		}
		slices.Sort(codes)
		out[routeLabel(pattern)] = codes
	}
	return out, nil
}
