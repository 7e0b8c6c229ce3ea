package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// apiClient is the demo's HTTP client of the v1 API.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(base string) *apiClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 512
	return &apiClient{base: base, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// do sends a request with a bearer token and decodes a JSON answer into out
// (when not nil). It returns the status code; a transport failure is an
// error.
func (c *apiClient) do(ctx context.Context, method, path, token string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decoding %d answer: %w", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode, nil
}

// eligibilityDoc is the JSON of GET /v1/orders/{id}/eligibility.
type eligibilityDoc struct {
	OrderID string                    `json:"order_id"`
	Version int64                     `json:"version"`
	AsOf    time.Time                 `json:"as_of"`
	Actions map[string]actionDecision `json:"actions"`
}

type actionDecision struct {
	Allowed bool       `json:"allowed"`
	Reason  string     `json:"reason"`
	Until   *time.Time `json:"until"`
}

// problem is the part of a problem+json answer the demo reads.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Reason string `json:"reason"`
}

type eventResults struct {
	Results []struct {
		EventID string `json:"event_id"`
		Outcome string `json:"outcome"`
		Version int64  `json:"version"`
		Error   string `json:"error"`
	} `json:"results"`
}
