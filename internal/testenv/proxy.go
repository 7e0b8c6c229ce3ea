package testenv

import (
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to a target server, and breaks them on
// demand: Pause stops forwarding (a network that stopped answering), Reset
// cuts every open connection (a proxy, a load balancer or the server
// dropping them mid-flight). A test points a client at Addr.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
	closed bool
	conns  map[net.Conn]struct{} // both ends of every open connection
	held   int                   // reads held by a pause now
}

// NewProxy starts a proxy to target on a free local port; it is closed
// when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Addr is the address to connect to instead of the target's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Pause stops forwarding: what the proxy reads is held until Resume.
// Connections stay open and new ones are accepted.
func (p *Proxy) Pause() { p.set(true) }

// Held is the number of reads that a pause holds now: a test waits for it
// to know that a call is on the wire.
func (p *Proxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// Resume forwards again, what was held first.
func (p *Proxy) Resume() { p.set(false) }

// Reset cuts every connection open now, both ends, with a TCP reset (RST)
// when hard, else with an orderly close (FIN); what was held by a pause is
// dropped. New connections are forwarded as before (unless paused).
func (p *Proxy) Reset(hard bool) {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.cond.Broadcast() // the pipes that hold data give it up
	p.mu.Unlock()
	for c := range conns {
		if tc, ok := c.(*net.TCPConn); ok && hard {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
}

// Close stops the proxy and cuts its connections.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	_ = p.ln.Close()
	p.Reset(false)
}

func (p *Proxy) set(paused bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = paused
	p.cond.Broadcast()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *Proxy) handle(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go p.pipe(up, c)
	p.pipe(c, up)
}

// pipe copies src to dst, holding what it read while the proxy is paused.
// Either end failing closes both.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.forget(dst, src)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.wait(src) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) forget(a, b net.Conn) {
	p.mu.Lock()
	delete(p.conns, a)
	delete(p.conns, b)
	p.mu.Unlock()
	a.Close()
	b.Close()
}

// wait blocks while the proxy is paused and reports whether src may still
// forward: false once the proxy is closed or src was reset.
func (p *Proxy) wait(src net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		p.held++
		defer func() { p.held-- }()
	}
	for p.paused && !p.closed {
		if _, ok := p.conns[src]; !ok {
			return false
		}
		p.cond.Wait()
	}
	_, ok := p.conns[src]
	return !p.closed && ok
}
