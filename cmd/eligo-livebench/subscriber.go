package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// receipt is one document a subscriber received.
type receipt struct {
	version int64
	at      time.Time
	doc     []byte // kept only when the bench checks documents (-policy-change)
}

// subscriber holds one WebSocket to /v1/orders/{id}/live and remembers
// every document's version and arrival time.
type subscriber struct {
	orderID  string
	keepDocs bool // keep every document, not only the newest

	mu       sync.Mutex
	receipts []receipt
	lastDoc  []byte // the newest document, for content checks
	closed   string // why the stream ended, "" while open
	changed  chan struct{}
}

// dial opens the stream and starts reading it, from the local address
// local (nil: the one the system picks).
func dial(ctx context.Context, base, token, orderID string, local net.IP, keepDocs bool) (*subscriber, error) {
	d := ws.Dialer{
		Header:  ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + token}}),
		Timeout: 30 * time.Second,
	}
	if local != nil {
		d.NetDial = dialFrom(local)
	}
	url := "ws" + strings.TrimPrefix(base, "http") + "/v1/orders/" + orderID + "/live"
	conn, br, _, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	var r io.Reader = conn
	if br != nil { // the first frame may have come with the handshake
		r = io.MultiReader(br, conn)
	}
	s := &subscriber{orderID: orderID, keepDocs: keepDocs, changed: make(chan struct{}, 1)}
	go s.read(conn, r)
	return s, nil
}

// dialFrom returns a dial function whose connections leave from local.
func dialFrom(local net.IP) func(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: local}}
	return nd.DialContext
}

// loopbackAddr returns the local address of subscriber i of streams
// spread over n loopback addresses: nil (the system's pick) for n <= 1,
// else 127.0.0.1 to 127.0.0.n in turn. One local address has only the
// ephemeral port range (about 28,000 ports) towards one server address.
func loopbackAddr(i, n int) net.IP {
	if n <= 1 {
		return nil
	}
	k := i % n
	return net.IPv4(127, 0, 0, byte(k+1)) // -local-addrs is at most 250
}

// read records documents and answers pings until the stream ends.
func (s *subscriber) read(conn io.ReadWriteCloser, r io.Reader) {
	defer conn.Close()
	for {
		h, err := ws.ReadHeader(r)
		if err != nil {
			s.end(err.Error())
			return
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(r, p); err != nil {
			s.end(err.Error())
			return
		}
		switch h.OpCode {
		case ws.OpPing:
			_ = wsutil.WriteClientMessage(conn, ws.OpPong, p)
		case ws.OpClose:
			code, reason := ws.ParseCloseFrameData(p)
			_ = wsutil.WriteClientMessage(conn, ws.OpClose, ws.NewCloseFrameBody(code, ""))
			s.end("closed " + strconv.Itoa(int(code)) + " " + reason)
			return
		case ws.OpText:
			s.received(p, time.Now())
		}
	}
}

func (s *subscriber) received(doc []byte, at time.Time) {
	v := docVersion(doc)
	s.mu.Lock()
	r := receipt{version: v, at: at}
	if s.keepDocs {
		r.doc = doc
	}
	s.receipts = append(s.receipts, r)
	s.lastDoc = doc
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *subscriber) end(why string) {
	s.mu.Lock()
	if s.closed == "" {
		s.closed = why
	}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// last returns the newest version received (0 before the first document)
// and why the stream ended, if it did.
func (s *subscriber) last() (int64, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v int64
	if n := len(s.receipts); n > 0 {
		v = s.receipts[n-1].version
	}
	return v, s.closed
}

// reached returns when the subscriber first had version v or later.
func (s *subscriber) reached(v int64) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.receipts {
		if r.version >= v {
			return r.at, true
		}
	}
	return time.Time{}, false
}

// wait waits until the subscriber has version v, the stream ends, or the
// timeout passes; it returns the arrival time of the first document at v or
// later.
func (s *subscriber) wait(v int64, timeout time.Duration) (time.Time, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if at, ok := s.reached(v); ok {
			return at, true
		}
		if _, closed := s.last(); closed != "" {
			return time.Time{}, false
		}
		select {
		case <-s.changed:
		case <-deadline.C:
			return time.Time{}, false
		}
	}
}

// docVersion reads "version" from an eligibility document without decoding
// all of it (this process shares the CPUs with the server it measures).
func docVersion(doc []byte) int64 {
	const key = `"version":`
	i := bytes.Index(doc, []byte(key))
	if i < 0 {
		return -1
	}
	rest := doc[i+len(key):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	v, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil {
		return -1
	}
	return v
}
