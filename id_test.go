package eligo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// Ids that look alike or that a decoder turns into U+FFFD would let an event
// for one order be applied to another: they are refused, naming the
// character and its byte position.
func TestValidateIDRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, id, wantIn string
	}{
		{"empty", "", "is required"},
		{"too long", string(make([]byte, 129)), "the limit is 128"},
		{"space", "ord 1", "U+0020 at byte 3"},
		{"slash", "ord/1", "U+002F at byte 3"},
		{"percent", "ord%1", "U+0025 at byte 3"},
		{"invalid UTF-8", "ord-\xff1", "invalid UTF-8 (byte 0xFF) at byte 4"},
		{"truncated UTF-8", "ord-\xe2\x80", "invalid UTF-8 (byte 0xE2) at byte 4"},
		{"lone surrogate, CESU-encoded", "ord-\xed\xa0\x80", "invalid UTF-8 (byte 0xED) at byte 4"},
		{"replacement character", "ord-\uFFFD", "U+FFFD at byte 4"},
		{"zero width space", "ord\u200B1", "U+200B at byte 3"},
		{"right-to-left override", "\u202Eord", "U+202E at byte 0"},
		{"no-break space", "ord\u00A01", "U+00A0 at byte 3"},
		{"next line", "ord\u00851", "U+0085 at byte 3"},
		{"byte order mark", "\uFEFFord", "U+FEFF at byte 0"},
		{"word joiner", "a\u2060b", "U+2060 at byte 1"},
		{"variation selector", "a\uFE0F", "U+FE0F at byte 1"},
		{"hangul filler", "a\u3164", "U+3164 at byte 1"},
		{"ideographic space", "a\u3000", "U+3000 at byte 1"},
		{"private use", "a\uE000", "U+E000 at byte 1"},
		{"delete", "a\x7f", "U+007F at byte 1"},
		{"tab", "a\tb", "U+0009 at byte 1"},
		{"dot", ".", `"." is not an id`},
		{"dot dot", "..", `".." is not an id`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := eligo.ValidateID("order id", tt.id)
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "%q", tt.id)
			require.Contains(t, eligo.ErrorMessage(err), tt.wantIn)
			// Every way in uses the same rule.
			_, err = eligo.NewOrder(&eligo.NewOrderParams{ID: tt.id, CustomerID: "c", PromisedAt: t0}, t0)
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
			_, err = eligo.NewOrder(&eligo.NewOrderParams{ID: "o", CustomerID: tt.id, PromisedAt: t0}, t0)
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
			ev := eligo.Event{EventID: tt.id, OrderID: "o", Type: eligo.EventPayment, Status: "PAID"}
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(ev.Validate()))
			ev = eligo.Event{EventID: "e", OrderID: tt.id, Type: eligo.EventPayment, Status: "PAID"}
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(ev.Validate()))
		})
	}
}

func TestValidateIDAccepts(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"ord-1", "a", "...", ".a", "a..b", "ORD_2026-12-01T10:00:00Z", "заказ-1", "注文-1", "café", "e\u0301", "🍕-42",
		string(make([]byte, 0, 128)) + "x",
	} {
		require.NoError(t, eligo.ValidateID("order id", id), "%q", id)
	}
}
