package redis

import (
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
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, checkEncodable(&tt.o))
			got, err := decodeSnapshot(string(appendSnapshot(nil, &tt.o)))
			require.NoError(t, err)
			require.Equal(t, tt.o, got)
		})
	}
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
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(string(appendSnapshot(nil, &eligo.Order{ID: "ord-1", CustomerID: "c", Version: 3})))
	f.Add("1:")
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
