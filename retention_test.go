package eligo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestRetentionValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		r    eligo.Retention
		ok   bool
	}{
		{"defaults", eligo.DefaultRetention(), true},
		{"orders and versions forever", eligo.Retention{EventIDs: time.Hour}, true},
		// A window shorter than a redelivery lets an event apply twice.
		{"event ids under an hour", eligo.Retention{Orders: time.Hour, EventIDs: time.Hour - time.Second}, false},
		{"negative orders", eligo.Retention{Orders: -time.Hour, EventIDs: time.Hour}, false},
		{"negative versions", eligo.Retention{Versions: -time.Hour, EventIDs: time.Hour}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
		})
	}
	require.Contains(t, eligo.ErrorMessage(eligo.Retention{EventIDs: time.Minute}.Validate()), "Kafka topic's retention")
}

func TestRetentionCutoffs(t *testing.T) {
	t.Parallel()
	now := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	c := eligo.DefaultRetention().Cutoffs(now)
	require.Equal(t, now.Add(-30*24*time.Hour), c.OrdersEndedBefore)
	require.Equal(t, now.Add(-90*24*time.Hour), c.VersionsBefore)
	require.Equal(t, now.Add(-7*24*time.Hour), c.EventIDsBefore)

	c = eligo.Retention{EventIDs: time.Hour}.Cutoffs(now)
	require.True(t, c.OrdersEndedBefore.IsZero(), "0 keeps ended orders")
	require.True(t, c.VersionsBefore.IsZero(), "0 keeps versions")
	require.Equal(t, now.Add(-time.Hour), c.EventIDsBefore)
}

func TestEndedStatusNamesLeaveOutPlaced(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"CANCELLED", "DELIVERED", "EXPIRED"}, eligo.EndedStatusNames())
}
