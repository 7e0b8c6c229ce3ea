package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Issue 10.3: occurred_at is kept on the version an event caused, in UTC,
// and null on a version no event caused; it is held to the years 1970 to
// 2200 in UTC, whatever offset it is given in.
func TestVersionsOccurredAt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))

	withTime := func(id, status, at string) string {
		return `{"event_id":"` + id + `","order_id":"ord-1","type":"driver_status","status":"` + status + `","occurred_at":"` + at + `"}`
	}
	res := results(t, b.post(t, "/v1/events", "["+
		withTime("e-1", "ASSIGNED", "2025-03-14T11:59:00.5+02:00")+","+
		withTime("e-2", "AT_STORE", "2200-12-31T23:30:00-01:00")+","+ // 2201 in UTC
		withTime("e-3", "AT_STORE", "1970-01-01T00:30:00+01:00")+","+ // 1969 in UTC
		withTime("e-4", "AT_STORE", "2200-12-31T23:30:00+01:00")+"]"))
	outcomes := make([]string, len(res))
	for i, r := range res {
		outcomes[i] = r.(map[string]any)["outcome"].(string)
	}
	require.Equal(t, []string{"applied", "rejected", "rejected", "applied"}, outcomes)
	require.Contains(t, res[1].(map[string]any)["error"], "occurred_at")

	resp := b.get(t, "/v1/orders/ord-1/versions")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	versions := resp.json(t)["versions"].([]any)
	require.Len(t, versions, 3)
	create, first, last := versions[0].(map[string]any), versions[1].(map[string]any), versions[2].(map[string]any)
	require.Contains(t, create, "occurred_at")
	require.Nil(t, create["occurred_at"], "a version no event caused")
	require.Equal(t, "2025-03-14T09:59:00.5Z", first["occurred_at"])
	require.Equal(t, "2200-12-31T22:30:00Z", last["occurred_at"])
}
