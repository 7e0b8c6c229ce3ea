package httpapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOpenAPICoversRoutes holds openapi.json to routes.go both ways: every
// route registered there is an operation of the document, and every
// operation is a route. A pattern with a method is that operation (its
// GET also serves HEAD, which the document may describe); one without a
// method (River UI, the demo page) is a path with at least one operation.
// The catch-all "/" answers misses and is not a route.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	sv, err := openAPI()
	require.NoError(t, err)
	model, err := sv.doc.BuildV3Model()
	require.NoError(t, err)

	documented := map[string][]string{} // path -> methods
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			documented[path] = append(documented[path], strings.ToUpper(method))
		}
	}
	routed := map[string][]string{} // path -> methods, "" for any
	for _, pattern := range routePatterns(t) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			method, path = "", pattern
		}
		if path != "/" {
			routed[path] = append(routed[path], method)
		}
	}
	require.NotEmpty(t, routed)

	for path, methods := range routed {
		for _, m := range methods {
			switch {
			case m == "" && len(documented[path]) == 0:
				t.Errorf("routes.go routes %s (any method), which %s does not describe", path, specFile)
			case m != "" && !slices.Contains(documented[path], m):
				t.Errorf("routes.go routes %s %s, which %s does not describe", m, path, specFile)
			}
		}
	}
	for path, methods := range documented {
		for _, m := range methods {
			r := routed[path]
			if !slices.Contains(r, m) && !slices.Contains(r, "") && (m != http.MethodHead || !slices.Contains(r, http.MethodGet)) {
				t.Errorf("%s describes %s %s, which routes.go does not route", specFile, m, path)
			}
		}
	}
}

// routePatterns returns the patterns that routes.go registers with
// handle, whatever the Deps (a route routed only for some Deps is
// listed too). A pattern is a string literal, a constant of the package,
// or a concatenation of them; any other form fails the test rather than
// be skipped.
func routePatterns(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	consts := map[string]string{}
	var routesFile *ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		if name == "routes.go" {
			routesFile = f
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[n.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	require.NotNil(t, routesFile, "routes.go not found")

	var eval func(e ast.Expr) string
	eval = func(e ast.Expr) string {
		switch e := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(e.Value); e.Kind == token.STRING && err == nil {
				return s
			}
		case *ast.Ident:
			if s, ok := consts[e.Name]; ok {
				return s
			}
		case *ast.BinaryExpr:
			if e.Op == token.ADD {
				return eval(e.X) + eval(e.Y)
			}
		case *ast.ParenExpr:
			return eval(e.X)
		}
		t.Fatalf("routes.go:%s: a route pattern this test cannot read; write it as a string literal or a constant", fset.Position(e.Pos()))
		return ""
	}
	var patterns []string
	ast.Inspect(routesFile, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		// Every route goes through routes' handle, which registers it
		// and remembers its pattern (for its metrics).
		if fn, ok := call.Fun.(*ast.Ident); ok && fn.Name == "handle" && len(call.Args) == 2 {
			patterns = append(patterns, eval(call.Args[0]))
		}
		return true
	})
	return patterns
}

// The document is served at GET /openapi.json as it is kept in the
// repository, and is a valid OpenAPI 3.1 document.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	sv, err := openAPI()
	require.NoError(t, err)
	require.Equal(t, "3.1.0", sv.doc.GetVersion())
	sv.mu.Lock()
	ok, errs := sv.v.ValidateDocument()
	sv.mu.Unlock()
	require.True(t, ok, "%s is not a valid OpenAPI document: %v", specFile, errs)

	b := setup(t)
	resp, err := http.Get(b.srv.URL + "/openapi.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Equal(t, string(sv.spec), string(got))
}

// The check that setup's server runs finds a response that drifted from
// the document, and passes one that did not.
func TestOpenAPICheckFindsDrift(t *testing.T) {
	t.Parallel()
	sv, err := openAPI()
	require.NoError(t, err)
	answer := func(method, path string, status int, header map[string]string, body string) string {
		r, err := http.NewRequest(method, "http://eligo.test"+path, nil)
		require.NoError(t, err)
		h := http.Header{}
		for k, v := range header {
			h.Set(k, v)
		}
		return sv.check(r, &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))})
	}
	json := map[string]string{"Content-Type": "application/json"}
	problem := map[string]string{"Content-Type": "application/problem+json"}
	const doc = `{"order_id":"ord-1","version":1,"as_of":"2025-03-14T12:00:00.000Z","actions":{"cancel":{"allowed":false,"reason":"outside_window","until":"2025-03-14T12:10:00Z"}}}`
	weak := map[string]string{"Content-Type": "application/json", "ETag": `W/"1-abc"`, "Cache-Control": "private, max-age=5"}

	require.Empty(t, answer("GET", "/v1/orders/ord-1/eligibility", 200, weak, doc))
	require.Empty(t, answer("GET", "/healthz", 200, json, `{"status":"ok"}`))
	require.Empty(t, answer("DELETE", "/v1/orders/ord-1", 405, map[string]string{"Content-Type": "application/problem+json", "Allow": "GET, HEAD"},
		`{"type":"https://eligo.dev/problems/method-not-allowed","title":"Method not allowed","status":405,"detail":"use GET"}`))

	for name, msg := range map[string]string{
		"a strong ETag":             answer("GET", "/v1/orders/ord-1/eligibility", 200, map[string]string{"Content-Type": "application/json", "ETag": `"1-abc"`, "Cache-Control": "private, max-age=5"}, doc),
		"no ETag":                   answer("GET", "/v1/orders/ord-1/eligibility", 200, map[string]string{"Content-Type": "application/json", "Cache-Control": "private, max-age=5"}, doc),
		"a member missing":          answer("GET", "/v1/orders/ord-1/eligibility", 200, weak, `{"order_id":"ord-1","version":1,"actions":{}}`),
		"an undocumented status":    answer("GET", "/healthz", 418, json, `{"status":"ok"}`),
		"a 503 without Retry-After": answer("GET", "/readyz", 503, problem, `{"type":"https://eligo.dev/problems/unavailable","title":"Unavailable for now","status":503,"detail":"retry"}`),
		"a 401 without a challenge": answer("GET", "/v1/orders/ord-1", 401, problem, `{"type":"https://eligo.dev/problems/unauthorized","title":"Credentials","status":401,"detail":"give a token"}`),
		"a problem as plain JSON":   answer("GET", "/v1/orders/ord-1", 404, json, `{"type":"https://eligo.dev/problems/not-found","title":"Not found","status":404,"detail":"no order"}`),
		"an unrouted 200":           answer("GET", "/v1/nothing", 200, json, `{}`),
	} {
		require.NotEmpty(t, msg, name)
	}
}
