package httpapi_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/httpapi"
)

// safety bounds every raw-socket read of these tests, so that a server
// that holds a connection fails the test instead of hanging it. It is
// far longer than any deadline the tests expect to see fire.
const safety = 20 * time.Second

// slowPost opens a raw connection to addr and sends the headers of a POST
// /v1/events promising 1000 bytes of body, then one byte of it, and no
// more. token "" sends no Authorization.
func slowPost(t *testing.T, addr, token string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	_, err = io.WriteString(c, "POST /v1/events HTTP/1.1\r\nHost: eligo\r\n"+auth+
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[")
	require.NoError(t, err)
	return c
}

// readAnswer reads the response on c and its problem detail, and requires
// that the server then closes c.
func readAnswer(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(safety)))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "no answer: the server holds the connection")
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), "body: %s", body)
	var p struct{ Detail string }
	require.NoError(t, json.Unmarshal(body, &p))
	_, err = br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the connection stays open after the answer")
	return resp.StatusCode, p.Detail
}

// TestRefusedBeforeTheBody pins that a request is authenticated from its
// headers and refused at once, with the body never waited for: the body
// deadline here is an hour, and the answer comes anyway.
func TestRefusedBeforeTheBody(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{bodyTimeout: time.Hour})
	addr := b.srv.Listener.Addr().String()

	code, detail := readAnswer(t, slowPost(t, addr, ""))
	require.Equal(t, http.StatusUnauthorized, code, detail)

	code, detail = readAnswer(t, slowPost(t, addr, b.customerToken(t, "cust-9")))
	require.Equal(t, http.StatusForbidden, code, detail)
}

// TestSlowBodiesAreCut pins that a body that does not arrive within the
// body deadline is answered 400 and its connection closed, while a normal
// client is served throughout, on a listener bounded to fewer connections
// than a gateway would allow.
func TestSlowBodiesAreCut(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	b := setup(t, setupOpts{bodyTimeout: timeout})
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	srv := httptest.NewUnstartedServer(b.handler)
	reg := prometheus.NewRegistry()
	ln, err := httpapi.LimitListener(srv.Listener, 60, reg)
	require.NoError(t, err)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()

	slow := make([]net.Conn, 50)
	for i := range slow {
		slow[i] = slowPost(t, addr, serviceToken)
	}
	// A normal client, on its own connections, is served meanwhile.
	for i := range 3 {
		resp, err := srv.Client().Post(srv.URL+"/v1/events", "application/json",
			strings.NewReader(event("e-"+string(rune('1'+i)), "ord-1", "ASSIGNED")))
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode) // no token: answered, not held
	}
	r, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/events", strings.NewReader(event("e-1", "ord-1", "ASSIGNED")))
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer "+serviceToken)
	resp, err := srv.Client().Do(r)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	var wg sync.WaitGroup
	for _, c := range slow {
		wg.Go(func() {
			code, detail := readAnswer(t, c)
			require.Equal(t, http.StatusBadRequest, code)
			require.Equal(t, "the request body did not arrive within 300ms", detail)
		})
	}
	wg.Wait()
	srv.CloseClientConnections()
	require.Eventually(t, func() bool {
		return openConns(t, reg) == 0
	}, safety, 10*time.Millisecond, "closed connections are still counted")
}

// openConns is the value of eligo_http_open_connections in reg.
func openConns(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "eligo_http_open_connections" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no eligo_http_open_connections")
	return 0
}

// chanListener is a listener whose connections the test hands it.
type chanListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{} }

// TestLimitListener pins that at most max connections are open at once:
// the next is accepted only when one closes, and the gauge counts them.
func TestLimitListener(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		inner := &chanListener{conns: make(chan net.Conn), done: make(chan struct{})}
		reg := prometheus.NewRegistry()
		ln, err := httpapi.LimitListener(inner, 2, reg)
		require.NoError(t, err)
		accepted := make(chan net.Conn)
		go func() {
			defer close(accepted)
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted <- c
			}
		}()
		go func() {
			for range 3 {
				c, _ := net.Pipe()
				select {
				case inner.conns <- c:
				case <-inner.done:
					return
				}
			}
		}()
		c1, c2 := <-accepted, <-accepted
		synctest.Wait()
		select {
		case <-accepted:
			t.Fatal("a third connection was accepted past the limit")
		default:
		}
		require.Equal(t, 2.0, openConns(t, reg))
		require.NoError(t, c1.Close())
		_ = c1.Close() // a second close frees nothing more
		c3 := <-accepted
		synctest.Wait()
		require.Equal(t, 2.0, openConns(t, reg))
		require.NoError(t, c2.Close())
		require.NoError(t, c3.Close())
		synctest.Wait()
		require.Equal(t, 0.0, openConns(t, reg))
		require.NoError(t, ln.Close())
		_, ok := <-accepted
		require.False(t, ok)
	})
}
