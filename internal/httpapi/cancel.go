package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// handleCancel is POST /v1/orders/{id}/cancel: the action cancel, taken
// as every action is (handleAction), with no body.
func handleCancel(deps Deps) orderHandler {
	return takeAction(deps, func(http.ResponseWriter, *http.Request) (string, json.RawMessage, error) {
		return eligo.ActionCancel, nil, nil
	})
}

// handleAction is POST /v1/orders/{id}/actions/{action}: the action of the
// policy named in the path, with the params of the body, if any.
func handleAction(deps Deps) orderHandler {
	return takeAction(deps, readActionRequest)
}

// takeAction takes the action that read names (with its params) on the
// order when the policy allows it at this instant, decided by the engine
// against the store under the order's lock, never against the read model.
// 200 with the order document (also when an action that ends the order
// was taken before: a repeated cancel is answered with the same
// document); 409 with the refusing rule in `reason`; 404 with reason
// unknown_action for an action the policy lacks.
//
// If-Match makes it "act only on what I saw": the order document's strong
// ETag ("v<version>", orderETag) of the stored order must be in the list,
// compared strongly (RFC 9110, section 13.1.1: a weak tag, the eligibility
// ETag among them, never matches), or the list be "*"; otherwise 412. The
// engine checks it under the same lock as the action, before the policy;
// an order an ends_order action ended already is 200 whatever the tag. The
// refusals that come before the handler (401, 403, 404, 400) ignore it
// (section 13.2.1).
func takeAction(deps Deps, read func(http.ResponseWriter, *http.Request) (string, json.RawMessage, error)) orderHandler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal, o eligo.Order) {
		var match *eligo.VersionMatch
		if values, ok := r.Header["If-Match"]; ok {
			var err error
			if match, err = parseIfMatch(values); err != nil {
				writeError(w, r, deps.Logger, err)
				return
			}
		}
		action, params, err := read(w, r)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		taken, err := deps.Engine.TakeAction(r.Context(), o.ID, action, p.Who(), params, match)
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		w.Header().Set("ETag", orderETag(taken.Version))
		encode(w, r, deps.Logger, http.StatusOK, newOrderDoc(&taken))
	}
}

// orderETag is the strong entity tag of the order document at version:
// "v<version>". One version's document is the same bytes wherever it is
// served, so the tag is strong.
func orderETag(version int64) string {
	return `"v` + strconv.FormatInt(version, 10) + `"`
}

// parseIfMatch reads If-Match (its values as sent, each a list; RFC 9110,
// section 13.1.1): "*", or entity tags. A strong tag "v<version>" names
// that version; any other tag is well-formed but names none, and a weak
// tag never matches under the strong comparison If-Match asks for.
// Anything else is EINVALID.
func parseIfMatch(values []string) (*eligo.VersionMatch, error) {
	m := &eligo.VersionMatch{}
	tags := 0
	for _, v := range values {
		for rest := v; ; {
			rest = strings.TrimLeft(rest, " \t,")
			if rest == "" {
				break
			}
			if rest[0] == '*' {
				m.Any = true
				rest = rest[1:]
				tags++
				continue
			}
			weak := strings.HasPrefix(rest, "W/")
			if weak {
				rest = rest[2:]
			}
			end := -1
			if rest != "" && rest[0] == '"' {
				end = strings.IndexByte(rest[1:], '"')
			}
			if end < 0 {
				return nil, eligo.Errorf(eligo.EINVALID, "If-Match must be \"*\" or a list of entity tags such as \"v3\"; got %s", strings.Join(values, ", "))
			}
			opaque := rest[1 : end+1]
			rest = rest[end+2:]
			if after := strings.TrimLeft(rest, " \t"); after != "" && after[0] != ',' {
				return nil, eligo.Errorf(eligo.EINVALID, "If-Match must be \"*\" or a list of entity tags such as \"v3\"; got %s", strings.Join(values, ", "))
			}
			tags++
			if weak {
				continue
			}
			if digits, ok := strings.CutPrefix(opaque, "v"); ok && digits != "" && digits[0] != '0' && digits[0] != '+' && digits[0] != '-' {
				if n, err := strconv.ParseInt(digits, 10, 64); err == nil {
					m.Versions = append(m.Versions, n)
				}
			}
		}
	}
	if tags == 0 {
		return nil, eligo.Errorf(eligo.EINVALID, "If-Match must be \"*\" or a list of entity tags such as \"v3\"; got an empty value")
	}
	return m, nil
}
