package httpapi

import (
	"net/http"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// handleLive hands an authorized watcher of one order to Deps.Live. Every
// refusal (401, 403, 404) has been answered as problem+json by orderAccess
// before any upgrade.
func handleLive(deps Deps) orderHandler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal, o eligo.Order) {
		deps.Live.ServeLive(w, r, o, p)
	}
}
