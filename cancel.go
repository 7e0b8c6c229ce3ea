package eligo

import "time"

// Cancel returns o cancelled if p allows cancel at instant now. An order that
// is already cancelled is returned unchanged with no error, so a repeated
// cancel is answered with the same document. A refusal is an ECONFLICT
// *Error whose Reason is the decision's reason.
func Cancel(o Order, p *Policy, now time.Time) (Order, error) {
	if o.Status == StatusCancelled {
		return o, nil
	}
	if d := Decide(&o, p, "cancel", now); !d.Allowed {
		return o, &Error{Code: ECONFLICT, Message: "cancel is not allowed for order " + o.ID + " now", Reason: d.Reason}
	}
	o.Status = StatusCancelled
	return o, nil
}
