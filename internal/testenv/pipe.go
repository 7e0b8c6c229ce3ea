package testenv

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
)

// PipeListener is an in-memory network: a net.Listener whose connections
// are net.Pipe pairs made by its Dial. A server and its clients on it need
// no socket, so a test of them can run inside a testing/synctest bubble,
// where time moves only when every goroutine waits (a TCP socket is I/O
// outside the bubble, and would stall it).
type PipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

// NewPipeListener returns a listener ready to Accept.
func NewPipeListener() *PipeListener {
	return &PipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// PipeAddr is the address of every PipeListener, good in a URL's host.
const PipeAddr = "pipe.test:80"

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return PipeAddr }

// Accept waits for the next Dial.
func (l *PipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and Dial; connections already made stay open.
func (l *PipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr returns PipeAddr.
func (l *PipeListener) Addr() net.Addr { return pipeAddr{} }

// Dial connects to the listener whatever network and address say: it
// has the signature of http.Transport.DialContext and net.Dialer's.
func (l *PipeListener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		_, _ = client.Close(), server.Close()
		return nil, errors.New("testenv: dial a closed PipeListener")
	case <-ctx.Done():
		_, _ = client.Close(), server.Close()
		return nil, ctx.Err()
	}
}

// Client returns an HTTP client whose every connection is dialled to the
// listener; close its idle connections (CloseIdleConnections) when done.
func (l *PipeListener) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: l.Dial}}
}
