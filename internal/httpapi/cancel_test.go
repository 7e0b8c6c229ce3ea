package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	promised := t0.Add(10 * time.Minute)
	b.createOrder(t, "ord-1", "cust-9", promised)
	b.createOrder(t, "ord-2", "cust-9", promised)
	tok := b.customerToken(t, "cust-9")
	cancel := func(id string) *response {
		return b.do(t, req{method: http.MethodPost, path: "/v1/orders/" + id + "/cancel", token: tok})
	}

	p := requireProblem(t, cancel("ord-1"), http.StatusConflict)
	require.Equal(t, "outside_window", p["reason"], "before the promise breaks")

	b.clock.Set(promised)
	resp := cancel("ord-1")
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	doc := resp.json(t)
	require.Equal(t, "CANCELLED", doc["status"])
	require.Equal(t, float64(2), doc["version"])

	again := cancel("ord-1")
	require.Equal(t, http.StatusOK, again.StatusCode, "cancelling a cancelled order is idempotent")
	require.JSONEq(t, string(resp.body), string(again.body))

	results(t, b.post(t, "/v1/events", event("e-1", "ord-2", "ARRIVED_AT_DOORSTEP")))
	p = requireProblem(t, cancel("ord-2"), http.StatusConflict)
	require.Equal(t, "driver_at_doorstep", p["reason"])
	require.Equal(t, "https://eligo.dev/problems/conflict", p["type"])

	// The history says who cancelled.
	versions := b.get(t, "/v1/orders/ord-1/versions").json(t)["versions"].([]any)
	require.Len(t, versions, 2)
	require.Equal(t, "customer:cust-9", versions[1].(map[string]any)["whodunnit"])
}

// TestCancelRacesArrival pins invariant 7: a cancel and the driver's arrival
// sent at the same time, after the promise broke, have exactly one winner.
func TestCancelRacesArrival(t *testing.T) {
	t.Parallel()
	b := setup(t)
	promised := t0.Add(time.Minute)
	const trials = 200
	for i := range trials {
		b.createOrder(t, fmt.Sprintf("race-%d", i), "cust-9", promised)
	}
	b.clock.Set(promised.Add(time.Second))

	cancelWins := 0
	for i := range trials {
		id := fmt.Sprintf("race-%d", i)
		var (
			wg                    sync.WaitGroup
			cancelled, arrived    *response
			cancelErr, arrivedErr error
			start                 = make(chan struct{})
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			cancelled, cancelErr = b.send(req{method: http.MethodPost, path: "/v1/orders/" + id + "/cancel", token: serviceToken})
		}()
		go func() {
			defer wg.Done()
			<-start
			arrived, arrivedErr = b.send(req{method: http.MethodPost, path: "/v1/events", body: event("arrive-"+id, id, "ARRIVED_AT_DOORSTEP"), token: serviceToken})
		}()
		close(start)
		wg.Wait()
		require.NoError(t, cancelErr)
		require.NoError(t, arrivedErr)

		require.Equal(t, http.StatusOK, arrived.StatusCode, "trial %d: %s", i, arrived.body)
		outcome := arrived.json(t)["results"].([]any)[0].(map[string]any)["outcome"]
		switch cancelled.StatusCode {
		case http.StatusOK:
			cancelWins++
			require.Equal(t, "stale", outcome, "trial %d: cancel won, so the arrival must not apply", i)
			require.Equal(t, "CANCELLED", b.get(t, "/v1/orders/"+id).json(t)["status"])
		case http.StatusConflict:
			require.Equal(t, "applied", outcome, "trial %d: the arrival won", i)
			require.Equal(t, "driver_at_doorstep", cancelled.json(t)["reason"], "trial %d", i)
			o := b.get(t, "/v1/orders/"+id).json(t)
			require.Equal(t, "PLACED", o["status"])
			require.Equal(t, "ARRIVED_AT_DOORSTEP", o["driver_status"])
		default:
			t.Fatalf("trial %d: cancel answered %d: %s", i, cancelled.StatusCode, cancelled.body)
		}
		versions := b.get(t, "/v1/orders/"+id+"/versions").json(t)["versions"].([]any)
		require.Len(t, versions, 2, "trial %d: one create and one winning change", i)
	}
	t.Logf("cancel won %d of %d trials", cancelWins, trials)
}
