package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/stretchr/testify/require"
)

// The OpenAPI document is checked, not only written: every response that
// the tests' server (setup) answers is validated against it, and
// TestOpenAPICoversRoutes holds it to the routes of routes.go.

// specFile is the document as kept in the repository and embedded.
const specFile = "openapi.json"

// openAPI is the parsed document and its validator, made once per package
// run. The validator is used under mu: the tests run in parallel.
var openAPI = sync.OnceValues(func() (*specValidator, error) {
	spec, err := os.ReadFile(specFile)
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", specFile, err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, fmt.Errorf("building the validator of %s: %v", specFile, errs)
	}
	return &specValidator{spec: spec, doc: doc, v: v}, nil
})

type specValidator struct {
	spec []byte
	doc  libopenapi.Document
	mu   sync.Mutex
	v    validator.Validator
}

// notTheAPI are the prefixes served by handlers that httpapi routes but
// does not implement (River UI, the demo page): what they answer below
// their root is theirs, and not described.
var notTheAPI = []string{"/riverui/", "/demo/"}

// validateResponses wraps h so that every response it writes is checked
// against the OpenAPI document: its status, headers and body (a stream's
// body, SSE or WebSocket, is not read). A response for a path or method
// the document does not have must be a problem+json 404 or 405. A mismatch
// fails t.
//
// Benchmarks are not checked: the parsed document would stay on the heap
// that the garbage collector scans while they measure the handler.
func validateResponses(t testing.TB, h http.Handler) http.Handler {
	if _, bench := t.(*testing.B); bench {
		return h
	}
	sv, err := openAPI()
	require.NoError(t, err)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &captureWriter{ResponseWriter: w}
		h.ServeHTTP(cw, r)
		if cw.hijacked {
			return // a WebSocket or a stream that wrote its own response
		}
		if msg := sv.check(r, cw.response()); msg != "" {
			// The path only: the query may hold an access token.
			t.Errorf("the response to %s %s does not match %s:\n%s", r.Method, r.URL.Path, specFile, msg)
		}
	})
}

// check returns what is wrong with resp as the answer to r, "" when
// nothing is.
func (sv *specValidator) check(r *http.Request, resp *http.Response) string {
	sv.mu.Lock()
	ok, errs := sv.v.ValidateHttpResponse(r, resp)
	sv.mu.Unlock()
	if ok {
		return ""
	}
	unrouted := false
	var msgs []string
	for _, e := range errs {
		if e.ValidationType == helpers.PathValidation {
			unrouted = true
			continue
		}
		msg := e.Error()
		for _, f := range e.SchemaValidationErrors {
			msg += "\n    " + f.Error()
		}
		msgs = append(msgs, "  "+msg)
	}
	if unrouted && len(msgs) == 0 {
		for _, p := range notTheAPI {
			if strings.HasPrefix(r.URL.Path, p) && r.URL.Path != p {
				return ""
			}
		}
		return checkMiss(resp)
	}
	return strings.Join(msgs, "\n") + fmt.Sprintf("\n  status %d, headers %v, body %.300q", resp.StatusCode, resp.Header, body(resp))
}

// checkMiss checks the answer to a request that no route matches: a
// problem+json 404, or 405 with Allow.
func checkMiss(resp *http.Response) string {
	b := body(resp)
	desc := fmt.Sprintf("status %d, headers %v, body %.300q", resp.StatusCode, resp.Header, b)
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		return "  no operation of the document matches this request, and it was not answered 404 or 405: " + desc
	}
	if resp.StatusCode == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
		return "  a 405 without Allow: " + desc
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/problem+json" {
		return "  a miss not answered as problem+json: " + desc
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		return "  a miss whose problem is not JSON: " + desc
	}
	for _, k := range []string{"type", "title", "status", "detail"} {
		if p[k] == nil || p[k] == "" {
			return "  a miss whose problem has no " + k + ": " + desc
		}
	}
	if p["status"] != float64(resp.StatusCode) {
		return "  a miss whose problem's status is not the response's: " + desc
	}
	return ""
}

func body(resp *http.Response) []byte {
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// captureWriter passes a response through and keeps a copy of its head
// (as of WriteHeader) and body. It passes Hijack through, noting it, and
// unwraps for http.ResponseController (Flush, read deadlines).
type captureWriter struct {
	http.ResponseWriter
	status   int
	header   http.Header
	body     bytes.Buffer
	hijacked bool
}

// maxCapture bounds the copy of a body; the API's bodies are far smaller.
const maxCapture = 4 << 20

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.header = w.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.body.Len() < maxCapture {
		w.body.Write(b[:min(len(b), maxCapture-w.body.Len())])
	}
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// response is what was written, as the client would read it.
func (w *captureWriter) response() *http.Response {
	status, header := w.status, w.header
	if status == 0 {
		status, header = http.StatusOK, w.Header().Clone()
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(w.body.Bytes()))}
}
