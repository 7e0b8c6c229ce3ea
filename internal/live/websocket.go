package live

import (
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gobwas/ws"

	"github.com/eligo/eligo"
)

// maxClientPayload bounds what a client may send in one frame. Clients have
// nothing to say on this stream but pings and close; larger data frames are
// a protocol error.
const maxClientPayload = 4096

// websocketProtocol frames documents as WebSocket text messages (RFC 6455)
// with github.com/gobwas/ws, which reads and writes frames on a bare
// net.Conn: a connection keeps no buffers of its own.
type websocketProtocol struct{}

// pingFrame is the keep-alive frame, an empty ping.
var pingFrame = ws.MustCompileFrame(ws.NewPingFrame(nil))

func (websocketProtocol) name() string { return "websocket" }

// isWebSocket reports whether r asks for a WebSocket upgrade.
func isWebSocket(r *http.Request) bool {
	return headerHasToken(r.Header, "Upgrade", "websocket")
}

// checkWebSocket checks the opening handshake before anything is written,
// so a malformed one is answered as problem+json rather than by the upgrader.
func checkWebSocket(r *http.Request) error {
	switch {
	case r.Method != http.MethodGet:
		return eligo.Errorf(eligo.EINVALID, "a WebSocket upgrade must be a GET, not %s", r.Method)
	case r.ProtoMajor != 1 || r.ProtoMinor < 1:
		return eligo.Errorf(eligo.EINVALID, "a WebSocket upgrade needs HTTP/1.1; this request is %s", r.Proto)
	case !headerHasToken(r.Header, "Connection", "upgrade"):
		return eligo.Errorf(eligo.EINVALID, "a WebSocket upgrade needs the header Connection: Upgrade")
	case len(r.Header.Get("Sec-WebSocket-Key")) != 24:
		return eligo.Errorf(eligo.EINVALID, "a WebSocket upgrade needs a Sec-WebSocket-Key of 16 bytes in base64")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return eligo.Errorf(eligo.EINVALID, "the only WebSocket version served is 13 (Sec-WebSocket-Version: 13)")
	}
	return nil
}

// upgrade completes the handshake on the hijacked connection. Bytes the
// client sent after its request, if any, are read before the connection.
func (websocketProtocol) upgrade(w http.ResponseWriter, r *http.Request) (net.Conn, io.Reader, error) {
	conn, rw, _, err := ws.HTTPUpgrader{Header: w.Header()}.Upgrade(r, w)
	if err != nil {
		if conn != nil {
			_ = conn.Close()
		}
		return nil, nil, err
	}
	return conn, afterBuffered(conn, rw.Reader), nil
}

func (websocketProtocol) document(doc []byte) []byte {
	return ws.MustCompileFrame(ws.NewTextFrame(doc))
}

func (websocketProtocol) keepAlive() []byte { return pingFrame }

func (websocketProtocol) goodbye(code int, reason string) ([]byte, bool) {
	return ws.MustCompileFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusCode(code), reason))), true
}

// readLoop reads the client's frames until the connection ends, answering
// pings and the closing handshake. Any frame read moves the read deadline;
// the client answers the hub's pings, so two ping intervals without a frame
// mean the peer is gone. When the loop ends the subscriber leaves the hub.
func (websocketProtocol) readLoop(s *subscriber) {
	defer s.hub.leave(s)
	idle := 2 * s.hub.cfg.PingInterval
	for {
		_ = s.conn.SetReadDeadline(time.Now().Add(idle))
		if s.closing() {
			// The hub said goodbye; the peer has the write timeout to answer.
			_ = s.conn.SetReadDeadline(time.Now().Add(s.hub.cfg.WriteTimeout))
		}
		h, err := ws.ReadHeader(s.in)
		if err != nil {
			s.readEnded(err)
			return
		}
		if !h.Masked || h.Length > maxClientPayload || (h.OpCode.IsControl() && h.Length > 125) {
			s.close(int(ws.StatusProtocolError), "client frames must be masked and small", endProtocolError)
			return
		}
		if !h.OpCode.IsControl() {
			if _, err := io.CopyN(io.Discard, s.in, h.Length); err != nil {
				s.readEnded(err)
				return
			}
			continue
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(s.in, p); err != nil {
			s.readEnded(err)
			return
		}
		ws.Cipher(p, h.Mask, 0)
		switch h.OpCode {
		case ws.OpPing:
			s.answer(ws.MustCompileFrame(ws.NewPongFrame(p)))
		case ws.OpClose:
			// Echo the client's code (RFC 6455, section 5.5.1) and close.
			// If the hub said goodbye first, this is the answer: done.
			echo := ws.MustCompileFrame(ws.NewCloseFrame(closeEcho(p)))
			if !s.finish(echo, true, endClientClosed) {
				return
			}
		}
	}
}

// closeEcho returns the body of the close frame that answers a client's
// close with body p: its status code, or no body when it sent none.
func closeEcho(p []byte) []byte {
	if len(p) < 2 {
		return nil
	}
	return p[:2]
}

// headerHasToken reports whether the comma-separated values of header name
// in h contain token, case-insensitively.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
