package eligo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestChangesRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, time.March, 14, 12, 0, 0, 0, time.UTC)
	before := eligo.Order{ID: "ord-1", CustomerID: "cust-9", Status: eligo.StatusPlaced, PlacedAt: at, PromisedAt: at.Add(time.Hour), Version: 1, UpdatedAt: at}
	after := before
	after.Version = 2
	for _, tt := range []struct {
		name          string
		before, after *eligo.Order
	}{{"create", nil, &before}, {"update", &before, &after}} {
		t.Run(tt.name, func(t *testing.T) {
			want := eligo.Changes(tt.before, tt.after)
			data, err := eligo.MarshalChanges(want)
			require.NoError(t, err)
			got, err := eligo.UnmarshalChanges(data)
			require.NoError(t, err)
			require.Equal(t, want, got, "the version stays an int64")
		})
	}
}

func TestUnmarshalChanges(t *testing.T) {
	t.Parallel()
	got, err := eligo.UnmarshalChanges([]byte(`{"version":[1,2],"x":[null,1.5],"s":["a","b"]}`))
	require.NoError(t, err)
	require.Equal(t, map[string][2]any{"version": {int64(1), int64(2)}, "x": {nil, 1.5}, "s": {"a", "b"}}, got)

	_, err = eligo.UnmarshalChanges([]byte(`[`))
	require.ErrorContains(t, err, "decode object changes")
}
