package httpapi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchWriter is a ResponseWriter reused across iterations, so the
// benchmarks measure the handler and not the recorder.
type benchWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }
func (w *benchWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

func (w *benchWriter) reset() {
	clear(w.h)
	w.code, w.n = 0, 0
}

// serve runs one request through the handler b.N times.
func serve(b *testing.B, h http.Handler, r *http.Request, wantCode int) {
	w := &benchWriter{h: make(http.Header)}
	h.ServeHTTP(w, r)
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if w.code != wantCode {
		b.Fatalf("status %d, want %d", w.code, wantCode)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
	}
}

func benchBundle(b *testing.B) *testBundle {
	tb := setup(b)
	tb.createOrder(b, "ord-1", "cust-9", t0.Add(10*time.Minute))
	return tb
}

func BenchmarkHealthz(b *testing.B) {
	tb := benchBundle(b)
	serve(b, tb.handler, httptest.NewRequest(http.MethodGet, "/healthz", nil), http.StatusOK)
}

func BenchmarkEligibility(b *testing.B) {
	tb := benchBundle(b)
	b.Run("service", func(b *testing.B) {
		r := httptest.NewRequest(http.MethodGet, "/v1/orders/ord-1/eligibility", nil)
		r.Header.Set("Authorization", "Bearer "+serviceToken)
		serve(b, tb.handler, r, http.StatusOK)
	})
	b.Run("customer", func(b *testing.B) {
		r := httptest.NewRequest(http.MethodGet, "/v1/orders/ord-1/eligibility?action=cancel", nil)
		r.Header.Set("Authorization", "Bearer "+tb.customerToken(b, "cust-9"))
		serve(b, tb.handler, r, http.StatusOK)
	})
	b.Run("not-modified", func(b *testing.B) {
		r := httptest.NewRequest(http.MethodGet, "/v1/orders/ord-1/eligibility", nil)
		r.Header.Set("Authorization", "Bearer "+serviceToken)
		w := httptest.NewRecorder()
		tb.handler.ServeHTTP(w, r)
		r.Header.Set("If-None-Match", w.Header().Get("ETag"))
		serve(b, tb.handler, r, http.StatusNotModified)
	})
}

// BenchmarkHTTP compares eligibility with /healthz over loopback HTTP/1.1
// with parallel keep-alive connections. The client is a raw socket that
// writes a prepared request and skims the response, so that on a small
// machine the server's cost, not the client's, dominates.
func BenchmarkHTTP(b *testing.B) {
	tb := benchBundle(b)
	tok := tb.customerToken(b, "cust-9")
	addr := strings.TrimPrefix(tb.srv.URL, "http://")
	for _, bc := range []struct{ name, path, token string }{
		{"healthz", "/healthz", ""},
		{"healthz-with-token", "/healthz", tok},
		{"eligibility", "/v1/orders/ord-1/eligibility", tok},
		{"eligibility-service", "/v1/orders/ord-1/eligibility", serviceToken},
	} {
		b.Run(bc.name, func(b *testing.B) {
			request := "GET " + bc.path + " HTTP/1.1\r\nHost: " + addr + "\r\n"
			if bc.token != "" {
				request += "Authorization: Bearer " + bc.token + "\r\n"
			}
			request += "\r\n"
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer conn.Close()
				br := bufio.NewReaderSize(conn, 4096)
				for pb.Next() {
					if _, err := io.WriteString(conn, request); err != nil {
						b.Error(err)
						return
					}
					if err := skimResponse(br); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// skimResponse reads one 200 response with a Content-Length body.
func skimResponse(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", line)
	}
	n := -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if n < 0 {
		return fmt.Errorf("no Content-Length")
	}
	_, err = br.Discard(n)
	return err
}
