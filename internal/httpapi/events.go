package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/eligo/eligo"
)

// maxEvents bounds one POST /v1/events batch.
const maxEvents = 1000

// eventRequest is one event in the body of POST /v1/events.
type eventRequest struct {
	EventID    string `json:"event_id"`
	OrderID    string `json:"order_id"`
	Type       string `json:"type"`
	Status     string `json:"status"`
	OccurredAt string `json:"occurred_at"` // RFC 3339, optional; absent means now
}

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
// array of 1 to maxEvents of them. Events without occurred_at get now. Any
// error is EINVALID and means the whole body is refused; the shape of each
// event (type, status, ids) is checked later, event by event.
func decodeEvents(body []byte, now time.Time) ([]eligo.Event, error) {
	var raws []json.RawMessage
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	isArray := len(trimmed) > 0 && trimmed[0] == '['
	switch {
	case len(trimmed) == 0:
		return nil, eligo.Errorf(eligo.EINVALID, "the request body is empty; expected an event object or an array of 1 to %d events", maxEvents)
	case isArray:
		if err := decodeJSON(body, &raws, "the request body"); err != nil {
			return nil, err
		}
	case trimmed[0] == '{':
		raws = []json.RawMessage{body}
	default:
		return nil, eligo.Errorf(eligo.EINVALID, "the request body must be an event object or an array of 1 to %d events", maxEvents)
	}
	if len(raws) == 0 || len(raws) > maxEvents {
		return nil, eligo.Errorf(eligo.EINVALID, "the batch holds %d events; send 1 to %d", len(raws), maxEvents)
	}
	events := make([]eligo.Event, len(raws))
	for i, raw := range raws {
		what := "the event"
		if isArray {
			what = "event [" + strconv.Itoa(i) + "]"
		}
		var req eventRequest
		if err := decodeJSON(raw, &req, what); err != nil {
			return nil, err
		}
		at, err := parseTimestamp("occurred_at of "+what, req.OccurredAt)
		if err != nil {
			return nil, err
		}
		if at.IsZero() {
			at = now
		}
		events[i] = eligo.Event{EventID: req.EventID, OrderID: req.OrderID, Type: req.Type, Status: req.Status, OccurredAt: at}
	}
	return events, nil
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
