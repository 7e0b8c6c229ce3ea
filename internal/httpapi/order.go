package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/strictjson"
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
	// Attributes, Deadlines and Taken are always there, empty when the
	// order has none ({}, {} and []), so a client reads them without a
	// check for absence.
	Attributes map[string]string    `json:"attributes"`
	Deadlines  map[string]time.Time `json:"deadlines"`
	Taken      []string             `json:"taken"` // the "once" actions taken, sorted
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
		Attributes:    make(map[string]string, len(o.Attributes)),
		Deadlines:     make(map[string]time.Time, len(o.Deadlines)),
		Taken:         o.Taken,
	}
	for _, a := range o.Attributes {
		d.Attributes[a.Key] = a.Value
	}
	for _, dl := range o.Deadlines {
		d.Deadlines[dl.Name] = dl.At.UTC()
	}
	if d.Taken == nil {
		d.Taken = []string{}
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

// createOrderMembers are the members of the body of POST /v1/orders:
// strings (id, customer_id and RFC 3339 timestamps), and two objects of
// strings, attributes (key to value) and deadlines (name to RFC 3339
// timestamp). An absent (or null) placed_at means now, an absent
// payment_timeout_at means the order is already paid; "" is not a
// timestamp. Absent or null attributes and deadlines are none; their
// limits and names are eligo.NewOrder's to check.
var createOrderMembers = [...]strictjson.Member{
	{Name: "id"}, {Name: "customer_id"}, {Name: "placed_at"}, {Name: "promised_at"}, {Name: "payment_timeout_at"},
	{Name: "attributes", Object: true}, {Name: "deadlines", Object: true},
}

// decodeCreateOrder decodes the body of POST /v1/orders into the engine's
// params, strictly (internal/strictjson): exact member names, each once.
func decodeCreateOrder(body []byte) (*eligo.NewOrderParams, error) {
	const what = "the request body"
	ms := createOrderMembers
	dec := strictjson.NewDecoder(body)
	if err := strictjson.ReadObject(dec, what, ms[:]); err != nil {
		return nil, err
	}
	if err := strictjson.End(dec, what); err != nil {
		return nil, err
	}
	p := &eligo.NewOrderParams{ID: ms[0].Value, CustomerID: ms[1].Value}
	for i, t := range []*time.Time{&p.PlacedAt, &p.PromisedAt, &p.PaymentTimeoutAt} {
		m := ms[2+i]
		if !m.Set {
			continue
		}
		var err error
		if *t, err = strictjson.Timestamp(m.Name, m.Value); err != nil {
			return nil, err
		}
	}
	if m := ms[5]; m.Set {
		attrs, err := strictjson.Strings(m.Raw, m.Name, what)
		if err != nil {
			return nil, err
		}
		p.Attributes = attrs
	}
	if m := ms[6]; m.Set {
		texts, err := strictjson.Strings(m.Raw, m.Name, what)
		if err != nil {
			return nil, err
		}
		p.Deadlines = make(map[string]time.Time, len(texts))
		for name, v := range texts {
			if p.Deadlines[name], err = strictjson.Timestamp("deadlines."+name, v); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// handleCreateOrder creates an order: 201 when created, 200 with the stored
// order when the same order was created before, 409 when the id holds a
// different order.
func handleCreateOrder(deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		params, err := decodeCreateOrder(body)
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
		w.Header().Set("ETag", orderETag(o.Version))
		encode(w, r, deps.Logger, status, newOrderDoc(&o))
	})
}

// handleGetOrder answers the order document from the read model, with its
// strong ETag (orderETag), the tag If-Match on cancel compares.
func handleGetOrder(deps Deps) orderHandler {
	return func(w http.ResponseWriter, r *http.Request, _ auth.Principal, o eligo.Order) {
		w.Header().Set("ETag", orderETag(o.Version))
		encode(w, r, deps.Logger, http.StatusOK, newOrderDoc(&o))
	}
}
