package live

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/stretchr/testify/require"
)

// rawClient is a WebSocket client that does only what a test tells it to:
// it never answers pings by itself.
type rawClient struct {
	conn net.Conn
	r    io.Reader
}

// dialRaw opens a WebSocket and reads nothing after the handshake.
func dialRaw(t *testing.T, b *testBundle, id string) *rawClient {
	t.Helper()
	conn, br, _, err := ws.Dialer{NetDial: b.dial}.Dial(context.Background(), wsURL(b, id))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	c := &rawClient{conn: conn, r: conn}
	if br != nil {
		c.r = io.MultiReader(br, conn)
	}
	return c
}

// readFrame reads one frame from the server.
func (c *rawClient) readFrame(t *testing.T) ws.Frame {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := ws.ReadFrame(c.r)
	require.NoError(t, err)
	return f
}

// A peer that stops answering pings is pinged after an interval and closed
// after two (on the bubble's clock: the hub checks pings every quarter
// interval).
func TestDeadPeerIsClosed(t *testing.T) {
	t.Parallel()
	const interval = 2 * time.Second
	inBubble(t, setupOpts{cfg: Config{PingInterval: interval}}, func(t *testing.T, b *testBundle) {
		b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
		start := time.Now()
		c := dialRaw(t, b, "ord-1")
		require.Equal(t, ws.OpText, c.readFrame(t).Header.OpCode)
		require.Equal(t, ws.OpPing, c.readFrame(t).Header.OpCode)
		pinged := time.Since(start)
		require.GreaterOrEqual(t, pinged, interval, "no ping before the interval")
		require.LessOrEqual(t, pinged, interval+interval/4)

		for b.conns() > 0 {
			time.Sleep(interval / 8)
		}
		closed := time.Since(start)
		t.Logf("pinged after %v, closed after %v", pinged, closed)
		require.Greater(t, closed, 2*interval-interval/4, "closed only after two intervals without an answer")
		require.LessOrEqual(t, closed, 2*interval+interval/2)
		require.EqualValues(t, 1, b.closedBy(endDeadPeer))
	})
}

// A peer that answers pings stays connected well past two intervals.
func TestLivePeerStays(t *testing.T) {
	t.Parallel()
	const interval = 2 * time.Second
	inBubble(t, setupOpts{cfg: Config{PingInterval: interval}}, func(t *testing.T, b *testBundle) {
		b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
		c := dialWS(t, b, "ord-1", nil)
		readWS(t, c)
		read := make(chan error, 1)
		go func() {
			_, _, err := c.Read(context.Background()) // answers pings while it waits
			read <- err
		}()
		time.Sleep(8 * interval)
		require.Equal(t, 1, b.conns())
		require.Zero(t, b.closedBy(endDeadPeer))
		require.Positive(t, b.metric("eligo_live_pushes_total"), "the stream is the same one")
		_ = c.CloseNow()
		<-read
	})
}

func TestAnswersClientPing(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	c := dialRaw(t, b, "ord-1")
	require.Equal(t, ws.OpText, c.readFrame(t).Header.OpCode)

	require.NoError(t, wsutil.WriteClientMessage(c.conn, ws.OpPing, []byte("hello")))
	f := c.readFrame(t)
	require.Equal(t, ws.OpPong, f.Header.OpCode)
	require.Equal(t, "hello", string(f.Payload))
}

// The client closes: the server echoes its code and ends the stream.
func TestClientCloseIsEchoed(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	c := dialRaw(t, b, "ord-1")
	require.Equal(t, ws.OpText, c.readFrame(t).Header.OpCode)

	body := ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye")
	require.NoError(t, wsutil.WriteClientMessage(c.conn, ws.OpClose, body))
	f := c.readFrame(t)
	require.Equal(t, ws.OpClose, f.Header.OpCode)
	code, _ := ws.ParseCloseFrameData(f.Payload)
	require.Equal(t, ws.StatusNormalClosure, code)
	_, err := ws.ReadFrame(c.r)
	require.ErrorIs(t, err, io.EOF)
	b.waitConns(t, 0)
}

// An unmasked frame breaks RFC 6455: close 1002.
func TestUnmaskedFrameIsProtocolError(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	c := dialRaw(t, b, "ord-1")
	require.Equal(t, ws.OpText, c.readFrame(t).Header.OpCode)

	require.NoError(t, ws.WriteFrame(c.conn, ws.NewTextFrame([]byte("hi")))) // not masked
	f := c.readFrame(t)
	require.Equal(t, ws.OpClose, f.Header.OpCode)
	code, _ := ws.ParseCloseFrameData(f.Payload)
	require.Equal(t, ws.StatusProtocolError, code)
	require.NoError(t, wsutil.WriteClientMessage(c.conn, ws.OpClose, f.Payload)) // the client answers the close
	b.waitConns(t, 0)
	require.EqualValues(t, 1, b.closedBy(endProtocolError))
}

// Data messages from the client are read and ignored.
func TestClientMessagesAreIgnored(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	o := b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	c := dialWS(t, b, "ord-1", nil)
	readWS(t, c)
	require.NoError(t, c.Write(context.Background(), websocket.MessageText, []byte(`{"hello":1}`)))
	b.commit(t, arrive(o))
	require.EqualValues(t, 2, readWS(t, c).Version)
}

// Headers set before ServeLive (a request id, say) reach the client.
func TestUpgradeKeepsHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", "req-1")
			next.ServeHTTP(w, r)
		})
	}})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	c, resp, err := websocket.Dial(context.Background(), wsURL(b, "ord-1"), nil)
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, "req-1", resp.Header.Get("X-Request-Id"))

	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/orders/ord-1", nil)
	req.Header.Set("Accept", "text/event-stream")
	conn, err := net.Dial("tcp", b.srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, req.Write(conn))
	head, err := http.ReadResponse(bufio.NewReader(conn), req)
	require.NoError(t, err)
	require.Equal(t, "req-1", head.Header.Get("X-Request-Id"))
	require.True(t, strings.HasPrefix(head.Header.Get("Content-Type"), "text/event-stream"))
}
