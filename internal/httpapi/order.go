package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// orderDoc is the order document: the JSON form of an order.
type orderDoc struct {
	ID               string     `json:"id"`
	CustomerID       string     `json:"customer_id"`
	Status           string     `json:"status"`
	DriverStatus     *string    `json:"driver_status"` // null when no driver yet
	PaymentStatus    string     `json:"payment_status"`
	PlacedAt         time.Time  `json:"placed_at"`
	PromisedAt       time.Time  `json:"promised_at"`
	PaymentTimeoutAt *time.Time `json:"payment_timeout_at"` // null when none
	Version          int64      `json:"version"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

func newOrderDoc(o *eligo.Order) orderDoc {
	d := orderDoc{
		ID:            o.ID,
		CustomerID:    o.CustomerID,
		Status:        o.Status.String(),
		PaymentStatus: o.PaymentStatus.String(),
		PlacedAt:      o.PlacedAt.UTC(),
		PromisedAt:    o.PromisedAt.UTC(),
		Version:       o.Version,
		UpdatedAt:     o.UpdatedAt.UTC(),
	}
	if o.DriverStatus != eligo.DriverNone {
		s := o.DriverStatus.String()
		d.DriverStatus = &s
	}
	if !o.PaymentTimeoutAt.IsZero() {
		t := o.PaymentTimeoutAt.UTC()
		d.PaymentTimeoutAt = &t
	}
	return d
}

// createOrderRequest is the body of POST /v1/orders. Timestamps are RFC
// 3339; an absent placed_at means now, an absent payment_timeout_at means
// the order is already paid.
type createOrderRequest struct {
	ID               string `json:"id"`
	CustomerID       string `json:"customer_id"`
	PlacedAt         string `json:"placed_at"`
	PromisedAt       string `json:"promised_at"`
	PaymentTimeoutAt string `json:"payment_timeout_at"`
}

// params validates the timestamps and returns the engine's params.
func (req *createOrderRequest) params() (*eligo.NewOrderParams, error) {
	p := &eligo.NewOrderParams{ID: req.ID, CustomerID: req.CustomerID}
	var err error
	if p.PlacedAt, err = parseTimestamp("placed_at", req.PlacedAt); err != nil {
		return nil, err
	}
	if p.PromisedAt, err = parseTimestamp("promised_at", req.PromisedAt); err != nil {
		return nil, err
	}
	if p.PaymentTimeoutAt, err = parseTimestamp("payment_timeout_at", req.PaymentTimeoutAt); err != nil {
		return nil, err
	}
	return p, nil
}

// handleCreateOrder creates an order: 201 when created, 200 with the stored
// order when the same order was created before, 409 when the id holds a
// different order.
func handleCreateOrder(deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[createOrderRequest](w, r)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		params, err := req.params()
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		o, created, err := deps.Engine.CreateOrder(r.Context(), params, eligo.WhoService)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
			w.Header().Set("Location", "/v1/orders/"+url.PathEscape(o.ID))
		}
		encode(w, r, deps.Logger, status, newOrderDoc(&o))
	})
}

// handleGetOrder answers the order document from the read model.
func handleGetOrder(deps Deps) orderHandler {
	return func(w http.ResponseWriter, r *http.Request, _ auth.Principal, o eligo.Order) {
		encode(w, r, deps.Logger, http.StatusOK, newOrderDoc(&o))
	}
}
