package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// chat is one chat page: it reads eligibility once when it opens, then
// watches the live stream until the order's story is over. Where the server
// has no live stream, or the run's cap on streams is reached, or the stream
// breaks, the page reads by polling instead, like a map page.
func (r *runner) chat(ctx context.Context, o *order) {
	if o.over() {
		r.read(ctx, o)
		r.finish(o)
		return
	}
	r.read(ctx, o)
	if ctx.Err() != nil {
		return
	}
	if r.liveOff.Load() == nil {
		select {
		case r.liveSlots <- struct{}{}:
			done := r.watch(ctx, o)
			<-r.liveSlots
			if done {
				r.finish(o)
				return
			}
		default:
			r.st.errors.add("live_over_cap", 1)
		}
	}
	if ctx.Err() == nil {
		r.polls.at(time.Now().Add(r.cfg.Poll), func(due time.Time) { r.poll(ctx, o, due) })
	}
}

// errClosedByServer ends reading a stream the server closed with an
// "event: close" (its shutdown, or the token's expiry).
var errClosedByServer = errors.New("the server closed the stream")

// watch holds one live stream open and keeps every document it brings. It
// returns true when the stream served the order to its end; false when the
// page should poll instead.
func (r *runner) watch(ctx context.Context, o *order) bool {
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	s := &stream{sent: time.Now()}
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, r.api.base+"/v1/orders/"+o.id+"/live", nil)
	if err != nil {
		return false
	}
	req.Header["Accept"] = []string{"text/event-stream"}
	req.Header["Authorization"] = []string{"Bearer " + o.token}
	resp, err := r.liveHTTP.Do(req)
	if err != nil {
		r.result(ctx, &r.st.live, 0, err, time.Since(s.sent), http.StatusOK)
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNotImplemented {
		// The route is absent: the order exists, its create was answered.
		note := fmt.Sprintf("the server answered %d to GET /v1/orders/{id}/live: no live stream; chat pages polled eligibility instead", resp.StatusCode)
		r.liveOff.CompareAndSwap(nil, &note)
		return false
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode == http.StatusOK && !strings.HasPrefix(ct, "text/event-stream") {
		note := fmt.Sprintf("the server answered GET /v1/orders/{id}/live with %q, not an event stream; chat pages polled eligibility instead", ct)
		r.liveOff.CompareAndSwap(nil, &note)
		return false
	}
	if !r.result(ctx, &r.st.live, resp.StatusCode, nil, time.Since(s.sent), http.StatusOK) {
		return false
	}
	o.mu.Lock()
	o.streams = append(o.streams, s)
	o.mu.Unlock()
	r.st.streams.Add(1)

	// Stop once the order is over and its last version has arrived, or
	// PushTimeout after it is over (the stream is then complete: a
	// version still missing is lost).
	var mu sync.Mutex
	var last int64
	enough := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return o.over() && last >= o.lastAcked()
	}
	go func() {
		select {
		case <-sctx.Done():
			return
		case <-o.writesDone:
		}
		if !enough() {
			t := time.NewTimer(r.cfg.PushTimeout)
			defer t.Stop()
			select {
			case <-sctx.Done():
				return
			case <-t.C:
			}
		}
		o.mu.Lock()
		s.complete = true
		o.mu.Unlock()
		stop()
	}()
	err = readEvents(resp.Body, func(event string, data []byte) error {
		if event == "close" {
			return errClosedByServer // the server says why in data
		}
		var doc Document
		recv := time.Now()
		if err := json.Unmarshal(data, &doc); err != nil {
			return &decodeError{fmt.Errorf("decoding a pushed document: %w", err)}
		}
		if doc.OrderID != o.id {
			r.wrongNow(kindPush, "%s: the stream pushed a document of order %q", o.id, doc.OrderID)
		}
		o.mu.Lock()
		s.docs = append(s.docs, pushObs{recv: recv, version: doc.Version, asOf: doc.AsOf, ans: doc.cancelAnswer()})
		o.mu.Unlock()
		r.st.pushDocs.Add(1)
		mu.Lock()
		last = max(last, doc.Version)
		mu.Unlock()
		if enough() {
			o.mu.Lock()
			s.complete = true
			o.mu.Unlock()
			stop()
		}
		return nil
	})
	o.mu.Lock()
	s.closed = time.Now()
	complete := s.complete
	o.mu.Unlock()
	if complete {
		return true
	}
	if ctx.Err() == nil {
		// The server ended the stream, or it broke, before the order was
		// over: an error; the page polls from here on.
		kind := "live_ended_early"
		switch {
		case errors.Is(err, errClosedByServer):
			kind = "live_closed_by_server"
		case err != nil && err != io.EOF:
			kind = "live_" + errorKind(0, err)
		}
		r.st.errors.add(kind, 1)
	}
	return false
}

// readEvents reads a Server-Sent Events stream and calls fn with the type
// ("" when the event names none) and the data (data lines joined by
// newlines) of each event. Comments (heartbeats) and the other fields are
// skipped. It returns fn's first error, or the stream's (io.EOF at its end).
func readEvents(body io.Reader, fn func(event string, data []byte) error) error {
	br := bufio.NewReaderSize(body, 4096)
	var data []byte
	event := ""
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A long line: gather it whole, copying the first part out of
			// the buffer before the next read reuses it.
			head := append([]byte(nil), line...)
			var rest []byte
			rest, err = br.ReadBytes('\n')
			line = append(head, rest...)
		}
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			if len(data) > 0 {
				if err := fn(event, data); err != nil {
					return err
				}
			}
			data, event = data[:0], ""
		case line[0] == ':':
		case bytes.HasPrefix(line, []byte("data:")):
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, bytes.TrimPrefix(line[5:], []byte(" "))...)
		case bytes.HasPrefix(line, []byte("event:")):
			event = string(bytes.TrimSpace(line[6:]))
		}
	}
}
