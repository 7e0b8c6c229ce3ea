package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPISpec is the OpenAPI 3.1 document of the whole API, served at
// GET /openapi.json. The tests check every response they produce against
// it, and that it names exactly the routes of routes.go.
//
//go:embed openapi.json
var openAPISpec []byte

// handleOpenAPI serves the OpenAPI document.
func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = contentTypeJSON
		_, _ = w.Write(openAPISpec)
	})
}
