package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/stretchr/testify/require"
)

// clientFrame encodes one masked client frame by hand, so a test can send
// what no well-behaved library would: reserved opcodes, RSV bits,
// fragmented control frames, any payload.
func clientFrame(fin bool, rsv byte, op ws.OpCode, payload []byte) []byte {
	return encodeFrame(fin, rsv, op, payload, true)
}

func encodeFrame(fin bool, rsv byte, op ws.OpCode, payload []byte, masked bool) []byte {
	var b bytes.Buffer
	b0 := rsv<<4 | byte(op)
	if fin {
		b0 |= 0x80
	}
	b.WriteByte(b0)
	var mbit byte
	if masked {
		mbit = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b.WriteByte(mbit | byte(n))
	case n <= 0xffff:
		b.WriteByte(mbit | 126)
		_ = binary.Write(&b, binary.BigEndian, uint16(n))
	default:
		b.WriteByte(mbit | 127)
		_ = binary.Write(&b, binary.BigEndian, uint64(n))
	}
	if !masked {
		b.Write(payload)
		return b.Bytes()
	}
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	b.Write(mask[:])
	p := append([]byte(nil), payload...)
	ws.Cipher(p, mask, 0)
	b.Write(p)
	return b.Bytes()
}

// closeBody is the payload of a close frame with code and reason.
func closeBody(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// answer is what the server is expected to do after a test's frames.
type answer struct {
	code  ws.StatusCode // the code of the server's close frame
	empty bool          // a close frame with no body
	stays bool          // no close: the connection answers a ping
	now   bool          // the server closes at once, not waiting for the client's close
}

// The server fails the connection on every breach of RFC 6455 with the
// code the RFC names (1002, 1007 for bad UTF-8, 1009 for a message over
// the limit), never echoes a code that must not be sent, and closes so
// that the client reads the close frame and then EOF, not a reset.
func TestWebSocketConformance(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{cfg: Config{WriteTimeout: 5 * time.Second}})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))

	text := func(fin bool, s string) []byte { return clientFrame(fin, 0, ws.OpText, []byte(s)) }
	cont := func(fin bool, s string) []byte { return clientFrame(fin, 0, ws.OpContinuation, []byte(s)) }
	closeWith := func(code uint16, reason string) []byte {
		return clientFrame(true, 0, ws.OpClose, closeBody(code, reason))
	}
	cases := []struct {
		name   string
		frames [][]byte
		want   answer
	}{
		{"reserved data opcode", [][]byte{clientFrame(true, 0, 0x3, nil)}, answer{code: 1002}},
		{"reserved control opcode", [][]byte{clientFrame(true, 0, 0xb, nil)}, answer{code: 1002}},
		{"RSV1 without an extension", [][]byte{clientFrame(true, 4, ws.OpText, []byte("hi"))}, answer{code: 1002}},
		{"RSV3 on a ping", [][]byte{clientFrame(true, 1, ws.OpPing, nil)}, answer{code: 1002}},
		{"unmasked frame", [][]byte{encodeFrame(true, 0, ws.OpText, []byte("hi"), false)}, answer{code: 1002}},
		{"fragmented ping", [][]byte{clientFrame(false, 0, ws.OpPing, []byte("a"))}, answer{code: 1002}},
		{"fragmented close", [][]byte{clientFrame(false, 0, ws.OpClose, closeBody(1000, ""))}, answer{code: 1002}},
		{"control frame over 125 bytes", [][]byte{clientFrame(true, 0, ws.OpPing, make([]byte, 126))}, answer{code: 1002}},
		{"orphan continuation", [][]byte{cont(true, "x")}, answer{code: 1002}},
		{"text inside a fragmented message", [][]byte{text(false, "a"), text(true, "b")}, answer{code: 1002}},
		{"invalid UTF-8 in text", [][]byte{text(true, "a\xffb")}, answer{code: 1007}},
		{"UTF-8 surrogate in text", [][]byte{text(true, "\xed\xa0\x80")}, answer{code: 1007}},
		{"text ends inside a rune", [][]byte{text(true, "\xe2\x82")}, answer{code: 1007}},
		{"invalid UTF-8 across fragments", [][]byte{text(false, "\xe2\x82"), cont(true, "x")}, answer{code: 1007}},
		{"invalid UTF-8 in a close reason", [][]byte{closeWith(1000, "\xff")}, answer{code: 1007}},
		{"close code 1005", [][]byte{closeWith(1005, "")}, answer{code: 1002}},
		{"close code 1006", [][]byte{closeWith(1006, "")}, answer{code: 1002}},
		{"close code 1015", [][]byte{closeWith(1015, "")}, answer{code: 1002}},
		{"close code 999", [][]byte{closeWith(999, "")}, answer{code: 1002}},
		{"close code 1004", [][]byte{closeWith(1004, "")}, answer{code: 1002}},
		{"close code 2000", [][]byte{closeWith(2000, "")}, answer{code: 1002}},
		{"close code 5000", [][]byte{closeWith(5000, "")}, answer{code: 1002}},
		{"close body of one byte", [][]byte{clientFrame(true, 0, ws.OpClose, []byte{3})}, answer{code: 1002}},
		{"length with its most significant bit set", [][]byte{{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}}, answer{code: 1002, now: true}},
		{"frame over the limit", [][]byte{clientFrame(true, 0, ws.OpBinary, make([]byte, maxClientPayload+1))}, answer{code: 1009}},
		{"message over the limit", [][]byte{
			clientFrame(false, 0, ws.OpBinary, make([]byte, maxClientPayload)),
			clientFrame(true, 0, ws.OpContinuation, []byte{1}),
		}, answer{code: 1009}},

		{"empty close", [][]byte{clientFrame(true, 0, ws.OpClose, nil)}, answer{empty: true}},
		{"close 1000", [][]byte{closeWith(1000, "bye")}, answer{code: 1000}},
		{"close 1001", [][]byte{closeWith(1001, "")}, answer{code: 1001}},
		{"close 1011", [][]byte{closeWith(1011, "")}, answer{code: 1011}},
		{"close 3000", [][]byte{closeWith(3000, "app")}, answer{code: 3000}},
		{"close 4999", [][]byte{closeWith(4999, "")}, answer{code: 4999}},
		{"close reason in UTF-8", [][]byte{closeWith(1000, "καλημέρα")}, answer{code: 1000}},

		{"valid UTF-8 across fragments", [][]byte{text(false, "\xe2\x82"), cont(true, "\xac")}, answer{stays: true}},
		{"ping between fragments", [][]byte{text(false, "a"), clientFrame(true, 0, ws.OpPing, nil), cont(true, "b")}, answer{stays: true}},
		{"binary is not UTF-8", [][]byte{clientFrame(true, 0, ws.OpBinary, []byte{0xff})}, answer{stays: true}},
		{"message at the limit", [][]byte{clientFrame(true, 0, ws.OpBinary, make([]byte, maxClientPayload))}, answer{stays: true}},
		{"empty text", [][]byte{text(true, "")}, answer{stays: true}},
		{"unsolicited pong", [][]byte{clientFrame(true, 0, ws.OpPong, []byte("x"))}, answer{stays: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dialRaw(t, b, "ord-1")
			require.Equal(t, ws.OpText, c.readFrame(t).Header.OpCode)
			sentClose := false
			for _, f := range tc.frames {
				_, err := c.conn.Write(f)
				require.NoError(t, err)
				sentClose = sentClose || ws.OpCode(f[0]&0xf) == ws.OpClose
			}
			if tc.want.stays {
				_, err := c.conn.Write(clientFrame(true, 0, ws.OpPing, []byte("still")))
				require.NoError(t, err)
				for { // after the pongs of the test's own pings, if any
					f := c.readFrame(t)
					require.Equal(t, ws.OpPong, f.Header.OpCode, "payload %q", f.Payload)
					if string(f.Payload) == "still" {
						return
					}
				}
			}
			c.requireClose(t, tc.want, !sentClose && !tc.want.now)
		})
	}
}

// requireClose reads the server's close frame, answers it as a client
// does when reply is set (the client did not send a close first), and
// requires the server to end the connection cleanly.
func (c *rawClient) requireClose(t *testing.T, want answer, reply bool) {
	t.Helper()
	f := c.readFrame(t)
	require.Equal(t, ws.OpClose, f.Header.OpCode, "payload %q", f.Payload)
	if want.empty {
		require.Empty(t, f.Payload, "an empty close is answered with an empty close")
	} else {
		require.GreaterOrEqual(t, len(f.Payload), 2, "close payload %q", f.Payload)
		code, reason := ws.ParseCloseFrameData(f.Payload)
		require.Equal(t, want.code, code, "reason %q", reason)
	}
	if reply {
		_, _ = c.conn.Write(clientFrame(true, 0, ws.OpClose, f.Payload))
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := ws.ReadFrame(c.r)
	require.ErrorIs(t, err, io.EOF, "the server closes after the close frame, without a reset")
}

// A 16 MiB frame is refused with 1009, and the server reads the rest of
// it before closing, so the client sees the close frame and EOF rather
// than a TCP reset.
func TestWebSocketHugeFrameClosesCleanly(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{cfg: Config{WriteTimeout: 10 * time.Second}})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	c := dialRaw(t, b, "ord-1")
	require.Equal(t, ws.OpText, c.readFrame(t).Header.OpCode)

	// The frame's header, then 16 MiB of zeros masked, in chunks: the mask
	// repeated.
	const size = 16 << 20
	mask := [4]byte{1, 2, 3, 4}
	head := ws.Header{Fin: true, OpCode: ws.OpBinary, Length: size, Masked: true, Mask: mask}
	chunk := bytes.Repeat(mask[:], 16<<10)
	wrote := make(chan error, 1)
	go func() {
		_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		err := ws.WriteHeader(c.conn, head)
		for n := 0; err == nil && n < size; n += len(chunk) {
			_, err = c.conn.Write(chunk)
		}
		wrote <- err
	}()
	f := c.readFrame(t)
	require.Equal(t, ws.OpClose, f.Header.OpCode)
	code, _ := ws.ParseCloseFrameData(f.Payload)
	require.Equal(t, ws.StatusMessageTooBig, code)
	err := <-wrote
	require.False(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE), "the server reset the connection: %v", err)
	require.NoError(t, err)
	_, _ = c.conn.Write(clientFrame(true, 0, ws.OpClose, f.Payload))
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = ws.ReadFrame(c.r)
	require.ErrorIs(t, err, io.EOF)
	b.waitConns(t, 0)
	require.EqualValues(t, 1, b.closedBy(endProtocolError))
}
