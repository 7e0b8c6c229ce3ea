package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/eligo/eligo"
)

// PaymentProvider asks the payment provider for the status of an order's
// payment: GET {BaseURL}/{order_id}, answered with
// {"status":"PAID"|"PENDING"|"FAILED"}.
type PaymentProvider struct {
	BaseURL string
	Client  *http.Client // nil means a client with a 10 s timeout
}

var defaultHTTPClient = &http.Client{Timeout: 10 * time.Second}

// Status returns the provider's answer. A transport error, a status other
// than 200 or an answer it cannot read is an error, for River to retry.
func (p *PaymentProvider) Status(ctx context.Context, orderID string) (eligo.PaymentStatus, error) {
	u := strings.TrimSuffix(p.BaseURL, "/") + "/" + url.PathEscape(orderID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("payment provider: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	c := p.Client
	if c == nil {
		c = defaultHTTPClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("payment provider: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, fmt.Errorf("payment provider: GET %s: reading the answer: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("payment provider: GET %s: %s", u, resp.Status)
	}
	var answer struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return 0, fmt.Errorf("payment provider: GET %s: %w", u, err)
	}
	s, err := eligo.ParsePaymentStatus(answer.Status)
	if err != nil {
		return 0, fmt.Errorf("payment provider: GET %s: %s", u, eligo.ErrorMessage(err))
	}
	return s, nil
}
