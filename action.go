package eligo

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// TakeAction returns o with action taken, if p allows it at instant now:
// an action that ends the order leaves it CANCELLED, a "once" action is
// recorded in Taken, and any other changes nothing but the order's version
// (the store writes one, with the action's version record; see
// ActionUpdate). A refusal is an ECONFLICT *Error whose Reason is the
// decision's reason; an action p lacks is ENOTFOUND.
//
// The precondition m (nil: none) is checked on o as the store holds it
// under the order's lock, before the policy: an order at a version m does
// not name is an EPRECONDITION *Error and stays as it is.
//
// An action that ends the order, taken on an order already CANCELLED, is
// answered with o unchanged and no error, whatever m says: what was asked
// for holds (RFC 9110, section 13.1.1, allows the 2xx), and a repeated
// cancel is answered with the same document.
func TakeAction(o Order, p *Policy, action string, now time.Time, m *VersionMatch) (Order, error) {
	i := p.actionIndex(action)
	if i < 0 {
		return o, &Error{Code: ENOTFOUND, Message: "the policy has no action " + action, Reason: ReasonUnknownAction}
	}
	rule := &p.RulesFor(&o)[i]
	if rule.EndsOrder && o.Status == StatusCancelled {
		return o, nil
	}
	if m != nil && !m.Matches(o.Version) {
		return o, Errorf(EPRECONDITION, "order %q has changed: it is at version %d, not one the precondition names; read it again before %s", o.ID, o.Version, actionGerund(action))
	}
	if d := rule.Decide(&o, now); !d.Allowed {
		return o, &Error{Code: ECONFLICT, Message: action + " is not allowed for order " + o.ID + " now", Reason: d.Reason}
	}
	if rule.EndsOrder {
		o.Status = StatusCancelled
	}
	if rule.Once {
		taken := append(slices.Clone(o.Taken), action)
		slices.Sort(taken)
		o.Taken = taken
	}
	return o, nil
}

func actionGerund(action string) string {
	if action == ActionCancel {
		return "cancelling"
	}
	return "taking " + action
}

// Cancel is TakeAction of cancel, without a precondition.
func Cancel(o Order, p *Policy, now time.Time) (Order, error) {
	return TakeAction(o, p, ActionCancel, now, nil)
}

// CancelIfMatch is TakeAction of cancel under the precondition m.
func CancelIfMatch(o Order, p *Policy, now time.Time, m *VersionMatch) (Order, error) {
	return TakeAction(o, p, ActionCancel, now, m)
}

// ActionRecord is what an update that takes a policy action records on
// its version (Version.Action, PolicyVersion and Params).
type ActionRecord struct {
	Name          string
	PolicyVersion string
	Params        json.RawMessage // a JSON object, or nil
	// EndsOrder is the action's ends_order: taking it again on an order it
	// ended changes nothing and writes no version (DecideUpdate).
	EndsOrder bool
}

// MaxActionParams bounds the params of an action, in bytes of JSON.
const MaxActionParams = 4 << 10

// ValidateActionParams checks an action's params: absent (nil, empty or
// null), or a JSON object of at most MaxActionParams bytes.
func ValidateActionParams(params json.RawMessage) error {
	trimmed := bytes.TrimSpace(params)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil
	}
	if len(params) > MaxActionParams {
		return Errorf(ETOOLARGE, "params is %d bytes of JSON; the limit is %d", len(params), MaxActionParams)
	}
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		return Errorf(EINVALID, "params must be a JSON object")
	}
	return nil
}

// ActionUpdate returns the Update that takes action on an order under p
// with TakeAction, decided by the store under the order's lock at its
// instant, with whodunnit who, the caller's params (checked with
// ValidateActionParams first) and the precondition m: the one place an
// action becomes an update.
func ActionUpdate(orderID, who string, p *Policy, action string, params json.RawMessage, m *VersionMatch) (Update, error) {
	if err := ValidateActionParams(params); err != nil {
		return Update{}, err
	}
	trimmed := bytes.TrimSpace(params)
	if string(trimmed) == "null" {
		trimmed = nil
	}
	rec := &ActionRecord{Name: action, PolicyVersion: p.VersionString(), Params: compactJSON(trimmed)}
	if a := p.Action(action); a != nil {
		rec.EndsOrder = a.EndsOrder
	}
	return Update{
		OrderID: orderID,
		Who:     who,
		Action:  rec,
		Apply: func(o Order, now time.Time) (Order, error) {
			return TakeAction(o, p, action, now, m)
		},
	}, nil
}

func compactJSON(raw []byte) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return json.RawMessage(slices.Clone(raw))
	}
	return buf.Bytes()
}

// VersionMatch is a precondition on an order's version (If-Match over
// HTTP): Any matches every existing order, otherwise the order's version
// must be one of Versions.
type VersionMatch struct {
	Any      bool
	Versions []int64
}

// Matches reports whether an order at version satisfies m.
func (m *VersionMatch) Matches(version int64) bool {
	return m.Any || slices.Contains(m.Versions, version)
}
