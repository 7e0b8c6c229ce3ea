package eligo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// The hot set's one rule: a live order is hot however old; a terminal one
// until grace after it ended (updated_at), and not at that instant.
func TestOrderHot(t *testing.T) {
	t.Parallel()
	ended := time.Date(2031, 3, 4, 5, 0, 0, 0, time.UTC)
	grace := time.Hour
	for _, tt := range []struct {
		name   string
		status eligo.Status
		now    time.Time
		hot    bool
	}{
		{"live, a year on", eligo.StatusPlaced, ended.AddDate(1, 0, 0), true},
		{"delivered, at its end", eligo.StatusDelivered, ended, true},
		{"cancelled, just before the grace is over", eligo.StatusCancelled, ended.Add(grace - time.Nanosecond), true},
		{"expired, when the grace is over", eligo.StatusExpired, ended.Add(grace), false},
		{"delivered, a day on", eligo.StatusDelivered, ended.Add(24 * time.Hour), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := eligo.Order{ID: "o", Status: tt.status, UpdatedAt: ended}
			require.Equal(t, tt.hot, o.Hot(tt.now, grace))
			until, ends := o.HotUntil(grace)
			require.Equal(t, o.Terminal(), ends)
			if ends {
				require.Equal(t, ended.Add(grace), until)
			}
		})
	}
}
