package httpapi

import (
	"errors"
	"net/http"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// authenticate returns the caller of r, the principal of the token it
// carries in the Authorization header or in the other places in from that
// the route takes one from (auth.Token reads headers and the URL only,
// never the body).
func authenticate(deps Deps, r *http.Request, from auth.Sources) (auth.Principal, error) {
	token, err := auth.Token(r, from)
	if err != nil {
		return auth.Principal{}, err // no token the route reads: a bare challenge
	}
	p, err := deps.Auth.Verify(token)
	if err != nil {
		return p, tokenRefused{err}
	}
	return p, nil
}

// tokenRefused marks the error of a token that the request carried and
// that was refused (unknown, forged, expired): its 401 challenges with
// Bearer error="invalid_token" (RFC 6750, section 3.1). A request with no
// token where the route reads one is answered a bare "Bearer".
type tokenRefused struct{ error }

func (e tokenRefused) Unwrap() error { return e.error }

// bearerChallenge is the WWW-Authenticate of a 401 for err.
func bearerChallenge(err error) string {
	var refused tokenRefused
	if errors.As(err, &refused) {
		return `Bearer error="invalid_token"`
	}
	return "Bearer"
}

// requireService lets through only requests with a service token; a
// customer token is 403. allowSessionHeader also accepts the token in
// X-Session-Token (the versions endpoints).
func requireService(deps Deps, allowSessionHeader bool) func(http.Handler) http.Handler {
	var from auth.Sources
	if allowSessionHeader {
		from = auth.FromSessionHeader
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := authenticate(deps, r, from)
			if err != nil {
				writeError(w, r, deps.Logger, err)
				return
			}
			if !p.Service {
				writeError(w, r, deps.Logger, errServiceOnly)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// requireServiceBasic lets through requests that carry a service token, as
// a Bearer token or, for a browser, as the password of HTTP Basic
// authentication (any user name). Anything else is 401 with a Basic
// challenge, so the browser asks for it; a page for people, not
// problem+json.
func requireServiceBasic(deps Deps, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ar := r
		if _, pass, ok := r.BasicAuth(); ok {
			ar = r.Clone(r.Context())
			ar.Header.Set("Authorization", "Bearer "+pass)
		}
		if p, err := deps.Auth.Authenticate(ar, 0); err != nil || !p.Service {
			w.Header().Set("WWW-Authenticate", `Basic realm="eligo River UI (password: a service token)", charset="UTF-8"`)
			http.Error(w, "River UI needs a service token: give it as the password (any user name) or as \"Authorization: Bearer <token>\"", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errServiceOnly = &eligo.Error{Code: eligo.EFORBIDDEN,
	Message: "this endpoint needs a service token; a customer token may only read, watch, cancel and take the actions of the customer's own orders"}

// orderHandler serves a request about one order that the caller may act on.
// It gets the caller and the order's snapshot from the read model.
type orderHandler func(w http.ResponseWriter, r *http.Request, p auth.Principal, o eligo.Order)

// orderAccess authenticates the caller (service, or a customer), loads the
// order named by {id} and checks that the caller may act on it, then calls
// h. It passes the principal and the order as arguments rather than in the
// request's context, which would cost allocations on the hot path.
//
// An id that no order can have (eligo.ValidateID) is 400, whoever asks. A
// service asking for an unknown order gets 404. A customer gets the same
// 403 for an unknown order and for another customer's order, so a customer
// token cannot probe which order ids exist.
//
// The token comes from the Authorization header only; browserOrderAccess
// also takes the access_token query parameter.
func orderAccess(deps Deps, h orderHandler) http.Handler {
	return orderAccessFrom(deps, 0, h)
}

// browserOrderAccess is orderAccess for the GET routes that browsers reach
// without headers (WebSocket, EventSource): the token may also come as the
// access_token query parameter.
func browserOrderAccess(deps Deps, h orderHandler) orderRoute {
	return orderAccessFrom(deps, auth.FromQuery, h)
}

func orderAccessFrom(deps Deps, from auth.Sources, h orderHandler) orderRoute {
	return orderRoute{deps: deps, from: from, h: h}
}

// orderRoute is the handler orderAccess makes. As an http.Handler it takes
// the order id from the mux's {id}; serve takes it from the caller (the
// eligibility route matched before the mux, fastroute.go).
type orderRoute struct {
	deps Deps
	from auth.Sources
	h    orderHandler
}

func (o orderRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.serve(w, r, r.PathValue("id"))
}

func (o orderRoute) serve(w http.ResponseWriter, r *http.Request, id string) {
	deps := o.deps
	p, err := authenticate(deps, withSubprotocolToken(r), o.from)
	if err != nil {
		writeError(w, r, deps.Logger, err)
		return
	}
	if err := eligo.ValidateID("order id", id); err != nil {
		writeError(w, r, deps.Logger, err)
		return
	}
	ord, err := deps.Engine.Order(r.Context(), id)
	switch {
	case err == nil && p.Owns(ord.CustomerID):
		o.h(w, r, p, ord)
	case err == nil || !p.Service && eligo.ErrorCode(err) == eligo.ENOTFOUND:
		writeError(w, r, deps.Logger, eligo.Errorf(eligo.EFORBIDDEN, "order %q is not one of this customer's orders", id))
	default:
		writeError(w, r, deps.Logger, err)
	}
}
