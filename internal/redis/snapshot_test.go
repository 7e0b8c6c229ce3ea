package redis

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	placed := time.Date(2031, time.March, 4, 5, 6, 7, 123456789, time.UTC)
	for _, tt := range []struct {
		name string
		o    eligo.Order
	}{
		{"every field", eligo.Order{ID: "ord-1", CustomerID: "cust-1", Status: eligo.StatusCancelled, DriverStatus: eligo.DriverArrivedAtDoorstep,
			PaymentStatus: eligo.PaymentFailed, PlacedAt: placed, PromisedAt: placed.Add(10 * time.Minute),
			PaymentTimeoutAt: placed.Add(time.Minute), Version: 1 << 40, UpdatedAt: placed.Add(time.Hour)}},
		{"zero times", eligo.Order{ID: "o", CustomerID: "c", Version: 1}},
		// The Unix epoch is a time like any other, not the zero time.
		{"epoch", eligo.Order{ID: "o", CustomerID: "c", Version: 1, PlacedAt: time.Unix(0, 0).UTC()}},
		{"long ids", eligo.Order{ID: string(make([]byte, 255)), CustomerID: "{x}:y", Version: 9}},
		{"attributes, deadlines and taken", eligo.Order{ID: "o", CustomerID: "c", Version: 4,
			Attributes: []eligo.Attribute{{Key: "city", Value: "AMS"}, {Key: "note", Value: strings.Repeat("\u00e9\U0001F600", 32)}},
			Deadlines:  []eligo.Deadline{{Name: "doors_open_at", At: placed.Add(47 * time.Hour)}, {Name: "event_starts_at", At: placed.Add(48 * time.Hour)}},
			Taken:      []string{"refund", "tip"}}},
		{"taken only", eligo.Order{ID: "o", CustomerID: "c", Version: 2, Taken: []string{"refund"}}},
		{"deadline only", eligo.Order{ID: "o", CustomerID: "c", Version: 2, Deadlines: []eligo.Deadline{{Name: "x", At: time.Unix(0, 0).UTC()}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, checkEncodable(&tt.o))
			got, err := decodeSnapshot(string(appendSnapshot(nil, &tt.o)))
			require.NoError(t, err)
			require.Equal(t, tt.o, got)
		})
	}
}

// Pins the rolling upgrade: an order with none of what a policy reads
// besides its statuses and times is written in format 1, which a build
// from before format 2 reads; one with attributes in format 2.
func TestSnapshotFormatFollowsTheOrder(t *testing.T) {
	t.Parallel()
	bare := appendSnapshot(nil, &eligo.Order{ID: "o", CustomerID: "c", Version: 3})
	require.Equal(t, byte(snapshotFormat), bare[2])
	withAttrs := appendSnapshot(nil, &eligo.Order{ID: "o", CustomerID: "c", Version: 3, Attributes: []eligo.Attribute{{Key: "k", Value: "v"}}})
	require.Equal(t, byte(snapshotFormatExtra), withAttrs[2])
	require.Equal(t, string(bare[3:]), string(withAttrs[3:len(bare)]), "format 2 is format 1 and more")
	// Format 2 with nothing more is refused: format 1 writes that order.
	_, err := decodeSnapshot("3:\x02" + string(bare[3:]) + "\x00\x00\x00")
	require.Error(t, err)
}

func TestSnapshotRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	good := string(appendSnapshot(nil, &eligo.Order{ID: "ord-1", CustomerID: "c", Version: 3}))
	for _, v := range []string{"", ":", "3", "3:", "x:" + good[2:], "99999999999999999999:" + good[2:], good[:len(good)-1], good + "x", "3:\x02" + good[3:]} {
		_, err := decodeSnapshot(v)
		require.Error(t, err, "%q", v)
	}
	require.Error(t, checkEncodable(&eligo.Order{ID: string(make([]byte, 256)), Version: 1}))
	require.Error(t, checkEncodable(&eligo.Order{ID: "o", Version: 0}))
	require.Error(t, checkEncodable(&eligo.Order{ID: "o", Version: 1, Taken: []string{string(make([]byte, 256))}}))
	require.Error(t, checkEncodable(&eligo.Order{ID: "o", Version: 1, Attributes: []eligo.Attribute{{Key: "k", Value: string(make([]byte, 1<<16))}}}))

	extra := string(appendSnapshot(nil, &eligo.Order{ID: "o", CustomerID: "c", Version: 3,
		Attributes: []eligo.Attribute{{Key: "k", Value: "v"}}, Deadlines: []eligo.Deadline{{Name: "d", At: time.Unix(1, 0)}}, Taken: []string{"a"}}))
	for i := range len(extra) {
		_, err := decodeSnapshot(extra[:i])
		require.Error(t, err, "cut at %d", i)
	}
	_, err := decodeSnapshot(extra + "x")
	require.Error(t, err)
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(string(appendSnapshot(nil, &eligo.Order{ID: "ord-1", CustomerID: "c", Version: 3})))
	f.Add("1:")
	f.Add(string(appendSnapshot(nil, &eligo.Order{ID: "ord-1", CustomerID: "c", Version: 3,
		Attributes: []eligo.Attribute{{Key: "city", Value: "AMS"}}, Deadlines: []eligo.Deadline{{Name: "d", At: time.Unix(1, 0)}}, Taken: []string{"refund"}})))
	f.Fuzz(func(t *testing.T, v string) {
		o, err := decodeSnapshot(v)
		if err != nil {
			return
		}
		// What decodes encodes back to the same value.
		require.Equal(t, v, string(appendSnapshot(nil, &o)))
	})
}

func BenchmarkDecodeSnapshot(b *testing.B) {
	v := string(appendSnapshot(nil, &eligo.Order{ID: "ord-12345", CustomerID: "cust-12345", Version: 3, PlacedAt: time.Now(), PromisedAt: time.Now()}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeSnapshot(v); err != nil {
			b.Fatal(err)
		}
	}
}
