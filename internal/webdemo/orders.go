package webdemo

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/eligibility"
	"github.com/eligo/eligo/internal/httpapi"
)

// Bounds of the order list: it is a demo's list, read from the store by
// pages of listPage, and it stops after maxScanned orders.
const (
	listPage   = 500
	maxScanned = 20000
	maxListed  = 100
)

// orderSummary is one order as the demo lists it.
type orderSummary struct {
	ID           string    `json:"id"`
	CustomerID   string    `json:"customer_id"`
	Status       string    `json:"status"`
	DriverStatus *string   `json:"driver_status"` // null when no driver yet
	PlacedAt     time.Time `json:"placed_at"`
	PromisedAt   time.Time `json:"promised_at"`
	// Attributes are the order's attributes, which the policy's segments
	// match on; none: left out.
	Attributes map[string]string `json:"attributes,omitempty"`
	// Segment names the policy segment whose rules decide the order, in
	// the order list only; left out for the default rules.
	Segment string `json:"segment,omitempty"`
	// Actions is eligo's answer for each action of the policy, as the
	// eligibility document has it, in the order list only: the page shows
	// it and works nothing out by itself.
	Actions map[string]decision `json:"actions,omitempty"`
}

// decision is one action's answer, the members of the eligibility
// document's actions.
type decision struct {
	Allowed bool       `json:"allowed"`
	Reason  string     `json:"reason"`
	Until   *time.Time `json:"until"` // null when the answer does not change by the clock alone
}

// decide returns eligo's answer for every action of p for o at now, as
// GET /v1/orders/{id}/eligibility builds it (internal/eligibility).
func decide(o *eligo.Order, p *eligo.Policy, now time.Time) map[string]decision {
	doc := eligibility.Build(o, p, "", now)
	m := make(map[string]decision, len(doc.Actions))
	for _, a := range doc.Actions {
		d := decision{Allowed: a.Allowed, Reason: a.Reason}
		if !a.Until.IsZero() {
			u := a.Until.UTC()
			d.Until = &u
		}
		m[a.Action] = d
	}
	return m
}

func newOrderSummary(o *eligo.Order) orderSummary {
	s := orderSummary{
		ID:         o.ID,
		CustomerID: o.CustomerID,
		Status:     o.Status.String(),
		PlacedAt:   o.PlacedAt.UTC(),
		PromisedAt: o.PromisedAt.UTC(),
		Attributes: o.AttributeMap(),
	}
	if o.DriverStatus != eligo.DriverNone {
		ds := o.DriverStatus.String()
		s.DriverStatus = &ds
	}
	return s
}

// orderList is the answer of GET /demo/api/orders.
type orderList struct {
	// Orders are the live ones (status PLACED), the soonest promise first,
	// at most maxListed of them.
	Orders    []orderSummary `json:"orders"`
	Live      int            `json:"live"`      // live orders found, listed or not
	AsOf      time.Time      `json:"as_of"`     // the server's clock
	Truncated bool           `json:"truncated"` // the store holds more than the scan reads
}

// handleListOrders lists the live orders for the page's first screen, each
// with eligo's answer at the decider's clock (the engine's). It reads the
// store in pages and stops after maxScanned orders: a demo's
// store is small, and this endpoint never runs on a real one.
func handleListOrders(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := cfg.Decider.Now()
		policy := cfg.Decider.Policy()
		list := orderList{Orders: []orderSummary{}, AsOf: now.UTC()}
		p := eligo.ListOrdersParams{Limit: listPage}
		for scanned := 0; ; {
			page, err := cfg.Orders.ListOrders(r.Context(), &p)
			if err != nil {
				internalError(w, r, cfg, "listing orders", err)
				return
			}
			for i := range page {
				if !page[i].Terminal() {
					list.Live++
					s := newOrderSummary(&page[i])
					s.Actions = decide(&page[i], policy, now)
					if rules := policy.RulesFor(&page[i]); len(rules) > 0 {
						s.Segment = rules[0].Segment
					}
					list.Orders = append(list.Orders, s)
				}
			}
			scanned += len(page)
			if len(page) < p.Limit {
				break
			}
			if scanned >= maxScanned {
				list.Truncated = true
				break
			}
			p.AfterID = page[len(page)-1].ID
		}
		slices.SortFunc(list.Orders, func(a, b orderSummary) int {
			return cmp.Or(a.PromisedAt.Compare(b.PromisedAt), cmp.Compare(a.ID, b.ID))
		})
		list.Orders = list.Orders[:min(len(list.Orders), maxListed)]
		writeJSON(w, http.StatusOK, list)
	})
}

// orderSession is the answer of GET /demo/api/orders/{id}: the order and a
// token of its customer, what a customer's app would hold after login.
type orderSession struct {
	Order          orderSummary `json:"order"`
	Token          string       `json:"token"`
	TokenExpiresAt time.Time    `json:"token_expires_at"`
}

// handleOrderSession mints a customer token for the order's customer, any
// order at all, for anyone: this is what makes the demo endpoint unfit for
// a real deployment.
func handleOrderSession(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		o, err := cfg.Orders.FindOrder(r.Context(), id)
		if eligo.ErrorCode(err) == eligo.ENOTFOUND {
			httpapi.WriteError(w, r, cfg.Logger, eligo.Errorf(eligo.ENOTFOUND, "there is no order %q; the order list is at %sapi/orders", id, Prefix))
			return
		}
		if err != nil {
			internalError(w, r, cfg, "finding the order", err)
			return
		}
		now := cfg.Now()
		tok, err := auth.MintCustomerToken(cfg.CustomerSecret, o.CustomerID, cfg.TokenTTL, now)
		if err != nil {
			internalError(w, r, cfg, "minting a customer token", err)
			return
		}
		writeJSON(w, http.StatusOK, orderSession{
			Order:          newOrderSummary(&o),
			Token:          tok,
			TokenExpiresAt: now.Add(cfg.TokenTTL).UTC().Truncate(time.Second),
		})
	})
}

// handleNotFound answers the paths under /demo/api/ that name nothing.
func handleNotFound(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, r, cfg.Logger, eligo.Errorf(eligo.ENOTFOUND,
			"%s %s is not a demo endpoint; there are GET %sapi/orders, GET %sapi/orders/{id}, GET %sapi/policy and POST %sapi/policy/{name}", r.Method, r.URL.Path, Prefix, Prefix, Prefix, Prefix))
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"title":"Internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// internalError logs err and answers without its text (httpapi.WriteError
// logs an internal error and answers a generic detail).
func internalError(w http.ResponseWriter, r *http.Request, cfg Config, doing string, err error) {
	httpapi.WriteError(w, r, cfg.Logger, fmt.Errorf("demo page: %s: %w", doing, err))
}
