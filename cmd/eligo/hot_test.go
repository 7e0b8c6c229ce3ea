package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/sqlite"
	"github.com/eligo/eligo/internal/testenv"
)

// A start on a data directory with a long history loads the hot set only,
// and says so: the log gives how many orders it loaded and how long it
// took, eligo_hot_orders the size of the set, and an order that ended a
// month ago is still answered (from the store).
func TestServeStartLoadsOnlyTheHotSet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const ended, live = 200, 5
	seedHistory(t, dir, ended, live)

	srv := startServe(t, dir, testEnv(nil), "--hot-grace", "1h")
	logged := regexp.MustCompile(`"msg":"read model rebuilt: the hot set loaded","orders":(\d+),"took":\d+,"hot_grace":3600000000000`).
		FindStringSubmatch(srv.output.String())
	require.NotNil(t, logged, "log:\n%s", srv.output.String())
	require.Equal(t, fmt.Sprint(live), logged[1])

	resp, err := http.Get(srv.url + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Contains(t, string(body), fmt.Sprintf("\neligo_hot_orders %d\n", live))

	const svc = "svc-test-token-for-the-cmd-tests"
	var doc eligibilityDoc
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/ended-0042/eligibility", svc, nil, &doc))
	require.EqualValues(t, 2, doc.Version)
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/live-0003/eligibility", svc, nil, &doc))
	require.EqualValues(t, 1, doc.Version)
}

// seedHistory writes, into the SQLite file of dataDir, ended orders
// delivered 30 days ago and live ones placed then and still open.
func seedHistory(t *testing.T, dataDir string, ended, live int) {
	t.Helper()
	ctx := context.Background()
	clock := testenv.NewClock(time.Now().Add(-30 * 24 * time.Hour))
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(dataDir, "eligo.db"), Now: clock.Now})
	require.NoError(t, err)
	defer func() { require.NoError(t, st.Close()) }()
	create := func(id string) {
		now := clock.Now()
		_, _, err := st.CreateOrder(ctx, &eligo.CreateOrderParams{Who: eligo.WhoService,
			Order: eligo.NewOrderParams{ID: id, CustomerID: "cust-1", PlacedAt: now, PromisedAt: now.Add(10 * time.Minute)}})
		require.NoError(t, err)
	}
	var deliveries []eligo.Update
	for i := range ended {
		id := fmt.Sprintf("ended-%04d", i)
		create(id)
		deliveries = append(deliveries, eligo.EventUpdate(&eligo.Event{EventID: "delivered-" + id, OrderID: id,
			Type: eligo.EventDriverStatus, Status: eligo.DriverDelivered.String(), OccurredAt: clock.Now()}, eligo.WhoService))
	}
	for i := range live {
		create(fmt.Sprintf("live-%04d", i))
	}
	rs, err := st.UpdateOrders(ctx, deliveries)
	require.NoError(t, err)
	for _, r := range rs {
		require.Equal(t, eligo.OutcomeApplied, r.Outcome, "%v", r.Err)
	}
}
