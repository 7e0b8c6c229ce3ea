package bulk_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/bulk"
)

var t0 = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

func plan(steps ...bulk.Step) bulk.Plan {
	return bulk.Plan{Who: eligo.WhoService, CreatedAt: t0, Steps: steps,
		Order: eligo.NewOrderParams{ID: "o-1", CustomerID: "c-1", PlacedAt: t0, PromisedAt: t0.Add(time.Hour)}}
}

func driver(eventID, orderID string, s eligo.DriverStatus, at time.Time) bulk.Step {
	return bulk.Step{At: at, Event: eligo.Event{EventID: eventID, OrderID: orderID, Type: eligo.EventDriverStatus, Status: s.String()}}
}

func TestAddWritesWhatTheRulesDecide(t *testing.T) {
	t.Parallel()
	rows := &bulk.Rows{Host: "h", Build: "b"}
	p := plan(
		driver("e-1", "o-1", eligo.DriverPickedUp, t0.Add(time.Minute)),
		driver("e-2", "o-1", eligo.DriverAssigned, t0.Add(2*time.Minute)), // stale: recorded, no version
		driver("e-3", "o-1", eligo.DriverDelivered, t0.Add(3*time.Minute)),
	)
	require.NoError(t, rows.Add(&p))
	require.Len(t, rows.Orders, 1)
	o := rows.Orders[0]
	require.Equal(t, eligo.StatusDelivered, o.Status)
	require.Equal(t, int64(3), o.Version)
	require.Equal(t, t0.Add(3*time.Minute), o.UpdatedAt)

	require.Len(t, rows.Versions, 3)
	require.Equal(t, eligo.VersionCreate, rows.Versions[0].Event)
	require.Equal(t, []string{"", "e-1", "e-3"}, []string{rows.Versions[0].EventID, rows.Versions[1].EventID, rows.Versions[2].EventID})
	_, changes, err := eligo.VersionRecord(nil, &eligo.Order{ID: "o-1", CustomerID: "c-1", PlacedAt: t0, PromisedAt: t0.Add(time.Hour),
		PaymentStatus: eligo.PaymentPaid, Version: 1, UpdatedAt: t0})
	require.NoError(t, err)
	require.JSONEq(t, string(changes), string(rows.Versions[0].Changes))
	require.Equal(t, "h", rows.Versions[2].Host)

	require.Len(t, rows.Events, 3, "the stale event's id is recorded too")
	require.Equal(t, "e-2", rows.Events[1].ID)
	require.Equal(t, t0.Add(2*time.Minute), rows.Events[1].ProcessedAt)
}

func TestAddRefusesAPlanTheRulesRefuse(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]bulk.Plan{
		"StepForAnotherOrder": plan(driver("e-1", "o-2", eligo.DriverAssigned, t0)),
		"EventIDTwice": plan(driver("e-1", "o-1", eligo.DriverAssigned, t0),
			driver("e-1", "o-1", eligo.DriverPickedUp, t0)),
		"InvalidEvent": plan(bulk.Step{At: t0, Event: eligo.Event{EventID: "e-1", OrderID: "o-1", Type: "weather"}}),
		"NoPromisedAt": {Who: eligo.WhoService, CreatedAt: t0, Order: eligo.NewOrderParams{ID: "o-1", CustomerID: "c-1"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rows := &bulk.Rows{}
			require.Error(t, rows.Add(&p))
			require.Empty(t, rows.Orders)
			require.Empty(t, rows.Versions)
			require.Empty(t, rows.Events)
		})
	}
}
