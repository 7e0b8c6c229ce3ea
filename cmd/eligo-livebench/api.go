package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/eligo/eligo"
)

// api is a client of the eligo HTTP API with a service token.
type api struct {
	base  string // e.g. http://127.0.0.1:8080
	token string
	http  *http.Client
}

func newAPI(base, token string, conns int) *api {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.MaxConnsPerHost = conns, conns, conns
	return &api{base: base, token: token, http: &http.Client{Transport: t, Timeout: 30 * time.Second}}
}

// do sends a JSON request and decodes a JSON answer into out; a status
// other than want is an error carrying the body.
func (a *api) do(ctx context.Context, method, path string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want && !(want == http.StatusCreated && resp.StatusCode == http.StatusOK) {
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

type orderDoc struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
}

// createOrder creates the order p describes.
func (a *api) createOrder(ctx context.Context, p *eligo.NewOrderParams) error {
	body := map[string]any{
		"id":                 p.ID,
		"customer_id":        p.CustomerID,
		"placed_at":          p.PlacedAt.UTC().Format(time.RFC3339Nano),
		"promised_at":        p.PromisedAt.UTC().Format(time.RFC3339Nano),
		"payment_timeout_at": p.PaymentTimeoutAt.UTC().Format(time.RFC3339Nano),
	}
	if len(p.Attributes) > 0 {
		body["attributes"] = p.Attributes
	}
	data, _ := json.Marshal(body)
	return a.do(ctx, http.MethodPost, "/v1/orders", data, http.StatusCreated, nil)
}

func (a *api) order(ctx context.Context, id string) (orderDoc, error) {
	var o orderDoc
	err := a.do(ctx, http.MethodGet, "/v1/orders/"+id, nil, http.StatusOK, &o)
	return o, err
}

// event is one event of POST /v1/events.
type event struct {
	EventID string `json:"event_id"`
	OrderID string `json:"order_id"`
	Type    string `json:"type"`
	Status  string `json:"status"`
}

type eventResult struct {
	EventID string `json:"event_id"`
	Outcome string `json:"outcome"`
	Version int64  `json:"version"`
	Error   string `json:"error"`
}

// postEvents posts a batch (a prepared JSON array) and returns the results
// in input order.
func (a *api) postEvents(ctx context.Context, batch []byte) ([]eventResult, error) {
	var out struct {
		Results []eventResult `json:"results"`
	}
	err := a.do(ctx, http.MethodPost, "/v1/events", batch, http.StatusOK, &out)
	return out.Results, err
}
