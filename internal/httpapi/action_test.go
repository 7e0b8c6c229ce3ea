package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// actionsPolicy has cancel as built in, a refund that may be taken once
// until an hour after the promise, and a note that may be taken any time.
const actionsPolicy = `{
  "actions": {
    "cancel": {
      "ends_order": true,
      "windows": [{"name": "sla_breached", "from": "promised_at"}],
      "blocks": [{"name": "cancelled", "status": ["CANCELLED"]}, {"name": "driver_at_doorstep", "driver_status": ["ARRIVED_AT_DOORSTEP"]}]
    },
    "refund": {
      "once": true,
      "windows": [{"name": "until_an_hour_late", "from": "placed_at", "to": "promised_at+1h"}]
    },
    "note": {"windows": [{"name": "any_time", "from": "placed_at"}]}
  }
}`

func mustPolicy(t testing.TB, text string) *eligo.Policy {
	t.Helper()
	p, err := eligo.ParsePolicy([]byte(text))
	require.NoError(t, err)
	return p
}

// action posts an action of an order with tok and the body (none when "").
func (b *testBundle) action(t testing.TB, tok, id, action, body string, header map[string]string) *response {
	t.Helper()
	return b.do(t, req{method: http.MethodPost, path: "/v1/orders/" + id + "/actions/" + action, body: body, token: tok, header: header})
}

func TestTakeAction(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{policy: mustPolicy(t, actionsPolicy)})
	promised := t0.Add(10 * time.Minute)
	b.createOrder(t, "ord-1", "cust-9", promised)
	tok := b.customerToken(t, "cust-9")

	resp := b.action(t, tok, "ord-1", "note", `{"params": {"text": "leave it at the door", "n": 1}}`, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	doc := resp.json(t)
	require.Equal(t, float64(2), doc["version"], "an action writes a version")
	require.Equal(t, "PLACED", doc["status"], "a note changes nothing else")
	require.Equal(t, `"v2"`, resp.Header.Get("ETag"))

	t.Run("no body, or an empty one, is no params", func(t *testing.T) {
		require.Equal(t, http.StatusOK, b.action(t, tok, "ord-1", "note", "", nil).StatusCode)
		require.Equal(t, http.StatusOK, b.action(t, serviceToken, "ord-1", "note", " \n", nil).StatusCode)
		require.Equal(t, http.StatusOK, b.action(t, serviceToken, "ord-1", "note", `{"params":null}`, nil).StatusCode)
		require.Equal(t, http.StatusOK, b.action(t, serviceToken, "ord-1", "note", `{}`, nil).StatusCode)
	})
	t.Run("a once action is recorded in taken", func(t *testing.T) {
		resp := b.action(t, serviceToken, "ord-1", "refund", `{"params":{"amount_cents":1250}}`, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
		require.Equal(t, []any{"refund"}, resp.json(t)["taken"])
	})
	t.Run("another customer's order is 403, an unknown one 403 to a customer and 404 to the service", func(t *testing.T) {
		requireProblem(t, b.action(t, b.customerToken(t, "cust-1"), "ord-1", "note", "", nil), http.StatusForbidden)
		requireProblem(t, b.action(t, tok, "ord-404", "note", "", nil), http.StatusForbidden)
		requireProblem(t, b.action(t, serviceToken, "ord-404", "note", "", nil), http.StatusNotFound)
		requireProblem(t, b.action(t, "", "ord-1", "note", "", nil), http.StatusUnauthorized)
	})
	t.Run("an action the policy lacks is 404 unknown_action", func(t *testing.T) {
		p := requireProblem(t, b.action(t, tok, "ord-1", "reschedule", "", nil), http.StatusNotFound)
		require.Equal(t, "unknown_action", p["reason"])
	})
	t.Run("a refusal is 409 with the reason", func(t *testing.T) {
		p := requireProblem(t, b.action(t, tok, "ord-1", "cancel", "", nil), http.StatusConflict)
		require.Equal(t, "outside_window", p["reason"])
	})
	t.Run("bodies are read strictly", func(t *testing.T) {
		for body, detail := range map[string]string{
			`{"params":"x"}`:            `field "params" of the request body is a JSON string; expected an object`,
			`{"params":[1]}`:            `field "params" of the request body is a JSON array; expected an object`,
			`{"Params":{}}`:             `the request body has the member "Params"; member names are case-sensitive: send "params"`,
			`{"params":{},"extra":"x"}`: `the request body has an unknown member "extra"; expected only params`,
			`{"params":{},"params":{}}`: `the request body has the member "params" twice; send each member once`,
			`{"params":{"a":1,"a":2}}`:  `the request body has the member "a" twice; send each member once`,
			`{"params":{}} {}`:          "the request body has data after its JSON value; send exactly one",
			`params=1`:                  "the request body is not valid JSON (at byte 1): invalid character 'p' at start of value",
			`[{"params":{}}]`:           "the request body is a JSON array; expected an object with params",
		} {
			p := requireProblem(t, b.action(t, tok, "ord-1", "note", body, nil), http.StatusBadRequest)
			require.Equal(t, detail, p["detail"], body)
		}
	})
	t.Run("params over 4 KB are 413", func(t *testing.T) {
		big := `{"params":{"text":"` + strings.Repeat("x", 4<<10) + `"}}`
		requireProblem(t, b.action(t, tok, "ord-1", "note", big, nil), http.StatusRequestEntityTooLarge)
		fits := `{"params":{"text":"` + strings.Repeat("x", 4<<10-12) + `"}}`
		require.Equal(t, http.StatusOK, b.action(t, tok, "ord-1", "note", fits, nil).StatusCode)
	})
	t.Run("If-Match", func(t *testing.T) {
		v := int64(b.get(t, "/v1/orders/ord-1").json(t)["version"].(float64))
		stale := fmt.Sprintf(`"v%d"`, v-1)
		requireProblem(t, b.action(t, tok, "ord-1", "note", "", map[string]string{"If-Match": stale}), http.StatusPreconditionFailed)
		requireProblem(t, b.action(t, tok, "ord-1", "note", "", map[string]string{"If-Match": "v3"}), http.StatusBadRequest)
		current := fmt.Sprintf(`"v%d"`, v)
		resp := b.action(t, tok, "ord-1", "note", "", map[string]string{"If-Match": current})
		require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
		require.Equal(t, float64(v+1), resp.json(t)["version"])
	})
	t.Run("cancel is the action cancel", func(t *testing.T) {
		b.clock.Set(promised)
		resp := b.action(t, tok, "ord-1", "cancel", "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
		require.Equal(t, "CANCELLED", resp.json(t)["status"])
		again := b.do(t, req{method: http.MethodPost, path: "/v1/orders/ord-1/cancel", token: tok})
		require.Equal(t, http.StatusOK, again.StatusCode)
		require.JSONEq(t, string(resp.body), string(again.body), "the cancel route answers the same document")
	})
}

// TestTakeActionRecorded pins what an action's version holds and that a
// once action is refused after it was taken. Both need the store to keep
// the action's record and the order's taken (stores17).
func TestTakeActionRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{policy: mustPolicy(t, actionsPolicy)})
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	tok := b.customerToken(t, "cust-9")
	pv := b.engine.Policy().VersionString()

	require.Equal(t, http.StatusOK, b.action(t, tok, "ord-1", "refund", `{"params": {"amount_cents": 1250}}`, nil).StatusCode)
	p := requireProblem(t, b.action(t, tok, "ord-1", "refund", "", nil), http.StatusConflict)
	require.Equal(t, "already_taken", p["reason"])
	require.Equal(t, http.StatusOK, b.action(t, serviceToken, "ord-1", "note", "", nil).StatusCode)

	versions := b.get(t, "/v1/orders/ord-1/versions").json(t)["versions"].([]any)
	require.Len(t, versions, 3)
	refund := versions[1].(map[string]any)
	require.Equal(t, "action", refund["event"])
	require.Equal(t, "refund", refund["action"])
	require.Equal(t, pv, refund["policy_version"])
	require.Equal(t, map[string]any{"amount_cents": float64(1250)}, refund["params"])
	require.Equal(t, "customer:cust-9", refund["whodunnit"])
	note := versions[2].(map[string]any)
	require.Equal(t, "note", note["action"])
	require.Nil(t, note["params"])
	require.Contains(t, note, "params", "an action version without params says null")

	one := b.get(t, fmt.Sprintf("/v1/versions/%d", int64(refund["id"].(float64)))).json(t)
	require.Equal(t, refund, one)
	require.NotContains(t, versions[0].(map[string]any), "action", "a create is no action")
	require.Equal(t, []any{"refund"}, b.get(t, "/v1/orders/ord-1").json(t)["taken"])
}

// TestOnceActionRace is TestCancelRacesArrival for an action that is not
// cancel: of concurrent takes of a once action, exactly one wins and the
// others are refused with already_taken. Needs the store to keep taken
// (stores17).
func TestOnceActionRace(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{policy: mustPolicy(t, actionsPolicy)})
	const trials, takers = 200, 3
	for i := range trials {
		b.createOrder(t, fmt.Sprintf("race-%d", i), "cust-9", t0.Add(time.Minute))
	}
	for i := range trials {
		id := fmt.Sprintf("race-%d", i)
		var (
			wg    sync.WaitGroup
			resps [takers]*response
			errs  [takers]error
			start = make(chan struct{})
		)
		for j := range takers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resps[j], errs[j] = b.send(req{method: http.MethodPost, path: "/v1/orders/" + id + "/actions/refund", token: serviceToken})
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for j := range takers {
			require.NoError(t, errs[j])
			switch resps[j].StatusCode {
			case http.StatusOK:
				wins++
			case http.StatusConflict:
				require.Equal(t, "already_taken", resps[j].json(t)["reason"], "trial %d", i)
			default:
				t.Fatalf("trial %d: refund answered %d: %s", i, resps[j].StatusCode, resps[j].body)
			}
		}
		require.Equal(t, 1, wins, "trial %d: exactly one take wins", i)
		versions := b.get(t, "/v1/orders/"+id+"/versions").json(t)["versions"].([]any)
		require.Len(t, versions, 2, "trial %d: one create and one refund", i)
	}
}
