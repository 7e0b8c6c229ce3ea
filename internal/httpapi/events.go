package httpapi

import (
	"net/http"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eventjson"
)

// maxEvents bounds one POST /v1/events batch.
const maxEvents = 1000

// eventsResponse is the answer of POST /v1/events: one result per event, in
// input order.
type eventsResponse struct {
	Results []eventResult `json:"results"`
}

type eventResult struct {
	EventID string `json:"event_id"`
	Outcome string `json:"outcome"`
	Version int64  `json:"version,omitempty"` // the order's version, when applied
	Error   string `json:"error,omitempty"`   // why, when rejected
}

// decodeEvents decodes the body of POST /v1/events: one event object or an
// array of 1 to maxEvents of them, with the rules and messages a Kafka
// record gets (internal/eventjson). Any error is EINVALID and means the
// whole body is refused; the shape of each event (type, status, ids) is
// checked later, event by event.
func decodeEvents(body []byte, now time.Time) ([]eligo.Event, error) {
	return eventjson.DecodeBatch(body, maxEvents, now)
}

// handleEvents applies a batch of events in one transaction. A malformed
// body is 400 and applies nothing; an event that is invalid or names an
// unknown order is rejected alone, in its result.
func handleEvents(deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		events, err := decodeEvents(body, deps.Engine.Now())
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		results, err := deps.Engine.ApplyEvents(r.Context(), events)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		resp := eventsResponse{Results: make([]eventResult, len(results))}
		for i, res := range results {
			out := eventResult{EventID: res.EventID, Outcome: res.Outcome}
			switch res.Outcome {
			case eligo.OutcomeApplied:
				out.Version = res.Order.Version
			case eligo.OutcomeRejected:
				out.Error = eligo.ErrorMessage(res.Err)
			}
			resp.Results[i] = out
		}
		encode(w, r, deps.Logger, http.StatusOK, resp)
	})
}
