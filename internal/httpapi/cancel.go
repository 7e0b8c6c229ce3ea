package httpapi

import (
	"net/http"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// handleCancel cancels the order when the policy allows it at this instant,
// decided by the engine against the store under the order's lock, never
// against the read model. 200 with the order document (also when it was
// cancelled before); 409 with the refusing rule in `reason` otherwise.
func handleCancel(deps Deps) orderHandler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal, o eligo.Order) {
		cancelled, err := deps.Engine.Cancel(r.Context(), o.ID, p.Who())
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		encode(w, r, deps.Logger, http.StatusOK, newOrderDoc(&cancelled))
	}
}
