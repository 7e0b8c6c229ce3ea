package httpapi

import (
	"net/http"
	"strings"

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
			if eligo.ErrorCode(err) == eligo.EUNAUTHORIZED {
				err = tokenRefused{err} // the token p came from, refused now (expired)
			}
			writeError(w, r, deps.Logger, err)
		}
	}
}

// tokenSubprotocol prefixes the WebSocket subprotocol that carries an
// access token: a browser cannot set headers on a WebSocket, and
//
//	new WebSocket(url, ["eligo.v1", "eligo.token." + token])
//
// keeps the token out of the URL, and so out of access and proxy logs.
// The server answers eligo.v1 (internal/live), never the token.
const tokenSubprotocol = "eligo.token."

// withSubprotocolToken returns r, or, when r is a WebSocket upgrade that
// offers the subprotocol eligo.token.<token> and has no Authorization
// header, a copy of r with "Authorization: Bearer <token>", so that the
// token is checked like any other. A header's token wins, as it does over
// the access_token query parameter.
func withSubprotocolToken(r *http.Request) *http.Request {
	if r.Header.Get("Authorization") != "" || !headerHas(r.Header, "Upgrade", "websocket") {
		return r
	}
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			token, ok := strings.CutPrefix(strings.TrimSpace(p), tokenSubprotocol)
			if !ok {
				continue
			}
			c := new(http.Request)
			*c = *r
			c.Header = r.Header.Clone()
			c.Header.Set("Authorization", "Bearer "+token)
			return c
		}
	}
	return r
}

// headerHas reports whether the comma-separated values of header name in h
// contain token, case-insensitively.
func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
