package httpapi

import (
	"net"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// LimitListener returns a listener that has at most n connections open at
// once (n <= 0: no limit): when n are open, Accept waits until one
// closes, and new connections wait in the kernel's backlog. This bounds the
// file descriptors one process spends on clients; with the body and header
// deadlines, a slot held by a slow client frees within those deadlines.
//
// eligo_http_open_connections (open now) and eligo_http_max_connections
// (the limit) are registered on reg when it is not nil; a registration
// error is returned.
func LimitListener(ln net.Listener, n int, reg prometheus.Registerer) (net.Listener, error) {
	l := &limitListener{
		Listener: ln,
		done:     make(chan struct{}),
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eligo_http_open_connections",
			Help: "HTTP connections open now, live streams included.",
		}),
	}
	limit := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "eligo_http_max_connections",
		Help: "The most HTTP connections open at once (--max-conns); 0 is no limit.",
	})
	if n > 0 {
		l.slots = make(chan struct{}, n)
	}
	if reg != nil {
		var err error
		if l.open, err = register(reg, l.open); err != nil {
			return nil, err
		}
		if limit, err = register(reg, limit); err != nil {
			return nil, err
		}
	}
	limit.Set(float64(max(n, 0)))
	return l, nil
}

type limitListener struct {
	net.Listener
	slots     chan struct{} // one element per open connection; nil: no limit
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	open      prometheus.Gauge
}

func (l *limitListener) Accept() (net.Conn, error) {
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return l.Listener.Accept() // closed: the inner listener's error
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		l.release()
		return nil, err
	}
	l.open.Inc()
	return &limitConn{Conn: c, l: l}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

func (l *limitListener) release() {
	if l.slots != nil {
		<-l.slots
	}
}

// limitConn frees its slot when first closed, also after a hijack (a
// WebSocket stream closes the connection it took over).
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Dec()
		c.l.release()
	})
	return err
}
