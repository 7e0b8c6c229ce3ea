package httpapi

import (
	"net/http"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// handleLive hands an authorized watcher of one order to Deps.Live. The
// refusals of orderAccess (401, 403, 404) and those of the Streamer (such
// as 400 for a request that is neither a WebSocket nor an event stream, or
// 429 at a connection limit) are problem+json, before any upgrade.
func handleLive(deps Deps) orderHandler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal, o eligo.Order) {
		if err := deps.Live.ServeLive(w, r, o, p); err != nil {
			writeError(w, r, deps.Logger, err)
		}
	}
}
