package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/eligo/eligo"
)

// maxClientPayload bounds what a client may send in one data message.
// Clients have nothing to say on this stream but pings and close; their
// messages are read and dropped, and a larger one is closed with 1009.
const maxClientPayload = 4096

// Subprotocol is the WebSocket subprotocol of the stream. A client may
// offer it (Sec-WebSocket-Protocol), and then the server answers it; a
// client that offers subprotocols without it is refused. Beside it a
// browser may offer eligo.token.<token>, the access token that
// internal/httpapi reads there to keep it out of URLs; that one is never
// answered.
const Subprotocol = "eligo.v1"

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
		return errWebSocketVersion
	}
	if offered, ours := offersSubprotocol(r.Header); offered && !ours {
		return eligo.Errorf(eligo.EINVALID, "this stream speaks the WebSocket subprotocol %s: offer %s in Sec-WebSocket-Protocol (beside eligo.token.<token> to send the access token there), or offer none", Subprotocol, Subprotocol)
	}
	return nil
}

// offersSubprotocol reports whether h offers any WebSocket subprotocol,
// and whether Subprotocol is one of them (case-sensitive, as the
// subprotocol is a token the client sends back).
func offersSubprotocol(h http.Header) (offered, ours bool) {
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			switch p = strings.TrimSpace(p); p {
			case "":
			case Subprotocol:
				return true, true
			default:
				offered = true
			}
		}
	}
	return offered, false
}

// isSubprotocol selects the subprotocol the upgrade answers.
func isSubprotocol(p string) bool { return p == Subprotocol }

// errWebSocketVersion refuses a WebSocket version other than 13: 426, with
// the version served in Sec-WebSocket-Version (RFC 6455, section 4.4),
// which ServeLive sets before it returns the error.
var errWebSocketVersion = eligo.Errorf(eligo.EUPGRADE, "the only WebSocket version served is 13: send Sec-WebSocket-Version: 13")

// upgrade completes the handshake on the hijacked connection. Bytes the
// client sent after its request, if any, are read before the connection.
func (websocketProtocol) upgrade(w http.ResponseWriter, r *http.Request) (net.Conn, io.Reader, error) {
	conn, rw, _, err := ws.HTTPUpgrader{Header: w.Header(), Protocol: isSubprotocol}.Upgrade(r, w)
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
// pings and the closing handshake, and failing the connection on a breach
// of RFC 6455 (clientStream.frame). Any frame read moves the read deadline; the
// client answers the hub's pings, so two ping intervals without a frame
// mean the peer is gone. Once the server has sent its close frame, the
// client has the write timeout to answer it, and whatever it sends until
// then is read and dropped: closing a socket with unread data would reset
// the connection, and the client would lose the close frame. When the
// loop ends the subscriber leaves the hub.
func (websocketProtocol) readLoop(s *subscriber) {
	defer s.hub.leave(s)
	idle := 2 * s.hub.cfg.PingInterval
	var in clientStream
	var closeBy time.Time // set once the server's close frame is asked for
	for {
		deadline := time.Now().Add(idle)
		if closeBy.IsZero() && s.closing() {
			closeBy = time.Now().Add(s.hub.cfg.WriteTimeout)
		}
		if !closeBy.IsZero() {
			deadline = closeBy
		}
		_ = s.conn.SetReadDeadline(deadline)
		h, err := ws.ReadHeader(s.in)
		if errors.Is(err, ws.ErrHeaderLengthMSB) && closeBy.IsZero() {
			// A length of 2^63 or more: a protocol error, after which
			// the frames cannot be told apart. Close after the answer.
			s.finish(closeFrame(ws.StatusProtocolError, "a frame length must be below 2^63"), true, endProtocolError)
			continue
		}
		if err != nil {
			s.readEnded(err)
			return
		}
		if !closeBy.IsZero() {
			if err := skip(s.in, h.Length); err != nil {
				s.readEnded(err)
				return
			}
			if h.OpCode == ws.OpClose {
				return // the answer to the server's close: done
			}
			continue
		}
		if err := in.read(s, h); err != nil {
			s.readEnded(err)
			return
		}
	}
}

// closeFrame is a close frame with code and reason.
func closeFrame(code ws.StatusCode, reason string) []byte {
	return ws.MustCompileFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(code, reason)))
}

// clientStream is what the reader keeps of the client's frames between
// two of them: whether a data message is in progress, its size so far and,
// for text, the end of a UTF-8 sequence split across frames.
type clientStream struct {
	state  ws.State // ws.StateServerSide, plus ws.StateFragmented inside a message
	text   bool     // the message in progress is text
	length int64
	utf8   utf8Stream
}

// protocolFailure is a frame that fails the connection: the close code
// and reason the server answers it with.
type protocolFailure struct {
	code   ws.StatusCode
	reason string
}

// read reads the payload of the frame h and acts on it. A frame that
// breaks the protocol has the server close with the code RFC 6455 names;
// its payload is still read, so that what follows is framed. The error is
// the connection's.
func (c *clientStream) read(s *subscriber, h ws.Header) error {
	fail, err := c.frame(s, h)
	if err != nil || fail == nil {
		return err
	}
	if h.OpCode == ws.OpClose {
		// The client has closed already: answer and close at once.
		s.finish(closeFrame(fail.code, fail.reason), true, endProtocolError)
		return nil
	}
	s.close(int(fail.code), fail.reason, endProtocolError)
	return nil
}

// frame checks the frame h and reads its payload (all of it, whatever the
// outcome).
func (c *clientStream) frame(s *subscriber, h ws.Header) (*protocolFailure, error) {
	if c.state == 0 {
		c.state = ws.StateServerSide
	}
	if err := ws.CheckHeader(h, c.state); err != nil {
		return &protocolFailure{ws.StatusProtocolError, err.Error()}, skip(s.in, h.Length)
	}
	if h.OpCode.IsControl() {
		return control(s, h)
	}
	if h.OpCode != ws.OpContinuation {
		c.text, c.length, c.utf8 = h.OpCode == ws.OpText, 0, utf8Stream{}
	}
	if h.Fin {
		c.state = c.state.Clear(ws.StateFragmented)
	} else {
		c.state = c.state.Set(ws.StateFragmented)
	}
	c.length += h.Length
	if c.length > maxClientPayload {
		return &protocolFailure{ws.StatusMessageTooBig, errMessageTooBig}, skip(s.in, h.Length)
	}
	if !c.text {
		return nil, skip(s.in, h.Length)
	}
	buf := payloadPool.Get().(*[maxClientPayload]byte)
	defer payloadPool.Put(buf)
	p := buf[:h.Length]
	if _, err := io.ReadFull(s.in, p); err != nil {
		return nil, err
	}
	ws.Cipher(p, h.Mask, 0)
	if !c.utf8.write(p) || h.Fin && !c.utf8.complete() {
		return &protocolFailure{ws.StatusInvalidFramePayloadData, "a text message must be valid UTF-8"}, nil
	}
	return nil, nil
}

const errMessageTooBig = "a client message is limited to 4096 bytes"

// control reads the control frame h (at most 125 bytes, checked) and
// answers a ping or a close.
func control(s *subscriber, h ws.Header) (*protocolFailure, error) {
	buf := payloadPool.Get().(*[maxClientPayload]byte)
	defer payloadPool.Put(buf)
	p := buf[:h.Length]
	if _, err := io.ReadFull(s.in, p); err != nil {
		return nil, err
	}
	ws.Cipher(p, h.Mask, 0)
	switch h.OpCode {
	case ws.OpPing:
		s.answer(ws.MustCompileFrame(ws.NewPongFrame(p)))
	case ws.OpClose:
		body, fail := closeEcho(p)
		if fail != nil {
			return fail, nil
		}
		// Echo the client's code (RFC 6455, section 5.5.1) and close.
		// If the hub said goodbye first, this is the answer: the reader
		// then ends, and with it the connection.
		if !s.finish(ws.MustCompileFrame(ws.NewCloseFrame(body)), true, endClientClosed) {
			return nil, io.EOF
		}
	}
	return nil, nil
}

// closeEcho returns the body of the close frame that answers a client's
// close with body p: its status code, or no body when it sent none (1005,
// "no status", is never sent). A body of one byte, a code that must not be
// sent (1005, 1006, 1015) or that is not defined is a protocol error, and a
// reason that is not UTF-8 is 1007.
func closeEcho(p []byte) ([]byte, *protocolFailure) {
	switch {
	case len(p) == 0:
		return nil, nil
	case len(p) == 1:
		return nil, &protocolFailure{ws.StatusProtocolError, "a close frame body has a status code of two bytes"}
	}
	code := ws.StatusCode(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return nil, &protocolFailure{ws.StatusProtocolError, fmt.Sprintf("close code %d may not be sent", code)}
	}
	if !utf8.Valid(p[2:]) {
		return nil, &protocolFailure{ws.StatusInvalidFramePayloadData, "a close reason must be valid UTF-8"}
	}
	return p[:2], nil
}

// validCloseCode reports whether code may be sent in a close frame: those
// RFC 6455 (section 7.4) and the IANA registry define, except 1004, 1005,
// 1006 and 1015, and the ranges for libraries and applications, 3000-4999.
func validCloseCode(code ws.StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// payloadPool holds the buffers a reader reads a control frame or a text
// frame into, so that an idle connection keeps none.
var payloadPool = sync.Pool{New: func() any { return new([maxClientPayload]byte) }}

// skip reads and drops n bytes.
func skip(r io.Reader, n int64) error {
	_, err := io.CopyN(io.Discard, r, n)
	return err
}

// utf8Stream validates UTF-8 text that arrives in pieces: it keeps the
// start of a sequence cut at the end of one piece.
type utf8Stream struct {
	pending [utf8.UTFMax]byte
	n       int
}

// write reports whether p, after what came before, is still valid UTF-8.
func (u *utf8Stream) write(p []byte) bool {
	for u.n > 0 && len(p) > 0 {
		u.pending[u.n] = p[0]
		u.n++
		p = p[1:]
		if utf8.FullRune(u.pending[:u.n]) {
			if r, size := utf8.DecodeRune(u.pending[:u.n]); r == utf8.RuneError && size <= 1 {
				return false
			}
			u.n = 0
		}
	}
	// Keep a sequence cut short at the end for the next piece.
	end := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				end = i
			}
			break
		}
	}
	if !utf8.Valid(p[:end]) {
		return false
	}
	u.n = copy(u.pending[:], p[end:])
	return true
}

// complete reports whether the text ends on a whole character.
func (u *utf8Stream) complete() bool { return u.n == 0 }

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
