package live

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// An order out of the hot set is in no read model: the caller found it in
// the store and hands it over, and watching it still gets its document
// first, on both transports. Nothing is put back into the model.
func TestWatchingAnOrderOutOfTheHotSet(t *testing.T) {
	t.Parallel()
	placed := time.Now().Add(-48 * time.Hour).UTC()
	cold, err := eligo.NewOrder(&eligo.NewOrderParams{ID: "ord-cold", CustomerID: "cust-1", PlacedAt: placed, PromisedAt: placed.Add(10 * time.Minute)}, placed)
	require.NoError(t, err)
	cold.Status, cold.DriverStatus, cold.Version, cold.UpdatedAt = eligo.StatusDelivered, eligo.DriverDelivered, 5, placed.Add(30*time.Minute)
	require.False(t, cold.Hot(time.Now(), eligo.DefaultHotGrace))
	b := setup(t, setupOpts{lookup: func(string) (eligo.Order, bool) { return cold, true }})

	check := func(t *testing.T, d doc) {
		require.Equal(t, "ord-cold", d.OrderID)
		require.EqualValues(t, 5, d.Version)
		require.False(t, d.Actions["cancel"].Allowed)
	}
	t.Run("websocket", func(t *testing.T) {
		check(t, readWS(t, dialWS(t, b, "ord-cold", nil)))
	})
	t.Run("sse", func(t *testing.T) {
		check(t, dialSSE(t, b, "ord-cold", nil).nextDoc(t))
	})
	_, held, err := b.rm.Get(context.Background(), "ord-cold")
	require.NoError(t, err)
	require.False(t, held)
}
