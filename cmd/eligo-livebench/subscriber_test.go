package main

import (
	"context"
	"net"
	"testing"
	"time"
)

func TestLoopbackAddr(t *testing.T) {
	if got := loopbackAddr(7, 1); got != nil {
		t.Errorf("loopbackAddr(7, 1) = %v, want nil (the system's pick)", got)
	}
	for i, want := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.1"} {
		if got := loopbackAddr(i, 3); got.String() != want {
			t.Errorf("loopbackAddr(%d, 3) = %v, want %s", i, got, want)
		}
	}
}

// TestDialFromLeavesFromTheLocalAddress: the server sees the connection
// come from the address asked for, not the one the system would pick.
func TestDialFromLeavesFromTheLocalAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	from := make(chan net.Addr, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			from <- nil
			return
		}
		from <- c.RemoteAddr()
		c.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := dialFrom(loopbackAddr(1, 3))(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial from 127.0.0.2: %v", err)
	}
	defer c.Close()
	got := <-from
	if a, ok := got.(*net.TCPAddr); !ok || a.IP.String() != "127.0.0.2" {
		t.Errorf("the server saw the connection from %v, want 127.0.0.2", got)
	}
}
