package eligo

import "time"

// The hot set is the orders whose answers a reader may still ask for often:
// every order that is not terminal, and a terminal one for a grace period
// after it ended, while the customer still looks at the map page or the
// chat. The read models hold the hot set (the in-process one keeps nothing
// else; Redis keys of terminal orders expire at the end of the grace), a
// start rebuilds only it (OrderStore.ListHotOrders), and an order outside
// it is read from the store. The rule is here, once: HotUntil.

// DefaultHotGrace is how long a terminal order stays hot after it ended,
// unless configured otherwise (eligo serve --hot-grace).
const DefaultHotGrace = time.Hour

// HotUntil returns the instant o leaves the hot set with grace period
// grace, and ends=true; or ends=false when o is not terminal, and so stays
// hot for as long as it is live. A terminal order never changes again
// (ApplyEvent, Cancel), so its UpdatedAt is the instant it ended.
func (o *Order) HotUntil(grace time.Duration) (until time.Time, ends bool) {
	if !o.Terminal() {
		return time.Time{}, false
	}
	return o.UpdatedAt.Add(grace), true
}

// Hot reports whether o is in the hot set at instant now with grace period
// grace: not terminal, or ended less than grace before now.
func (o *Order) Hot(now time.Time, grace time.Duration) bool {
	until, ends := o.HotUntil(grace)
	return !ends || now.Before(until)
}

// ListHotOrdersParams page through the orders that OrderStore.ListHotOrders
// lists: every order that is not terminal, and every terminal one that
// ended (updated_at) at or after EndedSince. Pages follow the store's index
// on (status, updated_at), statuses in the order of their constants, then
// updated_at and id, so that each page is a range scan whatever the
// history holds.
type ListHotOrdersParams struct {
	EndedSince time.Time
	// After is the last order of the previous page; nil for the first.
	After *Order
	Limit int
}

// HotRange is one range of the index on (status, updated_at, id) that a
// page of ListHotOrders reads: the orders of Status with (updated_at, id)
// after (AfterUpdatedAt, AfterID), by updated_at and id. A zero
// AfterUpdatedAt is no lower bound; an empty AfterID takes every id at
// AfterUpdatedAt itself (ids are never empty).
type HotRange struct {
	Status         Status
	AfterUpdatedAt time.Time
	AfterID        string
}

// ranges returns the index ranges of the page that p asks for, in order.
func (p *ListHotOrdersParams) ranges() []HotRange {
	var rs []HotRange
	for s := Status(0); int(s) < len(statusNames); s++ {
		if p.After != nil && s < p.After.Status {
			continue
		}
		r := HotRange{Status: s}
		if s != StatusPlaced {
			r.AfterUpdatedAt = p.EndedSince
		}
		if p.After != nil && s == p.After.Status && !p.After.UpdatedAt.Before(r.AfterUpdatedAt) {
			r.AfterUpdatedAt, r.AfterID = p.After.UpdatedAt, p.After.ID
		}
		rs = append(rs, r)
	}
	return rs
}

// StoreListHotOrders answers OrderStore.ListHotOrders for a store: p is
// checked first (a limit below 1 is EINVALID, and query does not run), then
// query reads each range of the page in turn, with the number of orders
// still wanted, until the page is full; its rows, of the order columns, are
// read with scan. what prefixes the errors.
func StoreListHotOrders(p *ListHotOrdersParams, what string, scan func(RowScanner) (Order, error), query func(r *HotRange, limit int) (Rows, error)) ([]Order, error) {
	if p == nil || p.Limit < 1 {
		return nil, Errorf(EINVALID, "list hot orders: limit must be at least 1")
	}
	out := []Order{}
	for _, r := range p.ranges() {
		rows, err := query(&r, p.Limit-len(out))
		page, err := CollectRows(rows, err, what, scan)
		if err != nil {
			return nil, err
		}
		if out = append(out, page...); len(out) >= p.Limit {
			break
		}
	}
	return out, nil
}
