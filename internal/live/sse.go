package live

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
)

// sseProtocol frames documents as Server-Sent Events: "data: <json>\n\n",
// with ": ping" comments as heartbeats. The response is written on the
// hijacked connection and ends when the connection closes, so an SSE stream
// costs what a WebSocket one costs: no handler goroutine, no buffers.
type sseProtocol struct{}

var sseHeartbeat = []byte(": ping\n\n")

func (sseProtocol) name() string { return "sse" }

// wantsEventStream reports whether r accepts text/event-stream.
func wantsEventStream(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
				return true
			}
		}
	}
	return false
}

// upgrade hijacks the connection and writes the response head: status 200,
// text/event-stream, no caching and no proxy buffering, Date, the headers
// already set on w, and no length, so the body runs until the connection closes.
func (sseProtocol) upgrade(w http.ResponseWriter, r *http.Request) (net.Conn, io.Reader, error) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Undo the HTTP server's read and write timeouts.
	_ = conn.SetDeadline(time.Time{})
	h := w.Header().Clone()
	setSSEHeaders(h)
	h.Set("Connection", "close")
	// net/http adds Date to what it writes; this head is written past it.
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	_ = h.Write(&head)
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return conn, afterBuffered(conn, rw.Reader), nil
}

// setSSEHeaders sets the headers of an event stream's response (and of
// the answer to a HEAD of one): text/event-stream, no caching, no proxy
// buffering.
func setSSEHeaders(h http.Header) {
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
}

func (sseProtocol) document(doc []byte) []byte {
	f := make([]byte, 0, len(doc)+8)
	f = append(f, "data: "...)
	f = append(f, doc...)
	return append(f, "\n\n"...)
}

func (sseProtocol) keepAlive() []byte { return sseHeartbeat }

// goodbye is a last event named "close"; EventSource does not hand it to
// onmessage, and reconnects by itself after a shutdown.
func (sseProtocol) goodbye(code int, reason string) ([]byte, bool) {
	r, _ := json.Marshal(reason)
	return fmt.Appendf(nil, "event: close\ndata: {\"code\":%d,\"reason\":%s}\n\n", code, r), false
}

// readLoop waits for the client to close: it has nothing to send. Dead
// peers are found by the heartbeat writes failing.
func (sseProtocol) readLoop(s *subscriber) {
	defer s.hub.leave(s)
	buf := make([]byte, 64)
	for {
		if _, err := s.in.Read(buf); err != nil {
			s.readEnded(err)
			return
		}
	}
}

// afterBuffered returns conn, preceded by whatever br buffered from it
// during the upgrade (normally nothing).
func afterBuffered(conn net.Conn, br *bufio.Reader) io.Reader {
	if br == nil || br.Buffered() == 0 {
		return conn
	}
	b, _ := br.Peek(br.Buffered())
	return io.MultiReader(bytes.NewReader(bytes.Clone(b)), conn)
}
