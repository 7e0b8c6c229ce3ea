package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/eligo/eligo"
)

// problemTypeBase prefixes the stable type URIs of problem documents.
const problemTypeBase = "https://eligo.dev/problems/"

// retryAfterSeconds is the Retry-After of a 503: soon, as a store that
// timed out may answer again at once.
const retryAfterSeconds = "1"

// problemKind is how one eligo error code is answered over HTTP.
type problemKind struct {
	status int
	slug   string // the type URI is problemTypeBase + slug
	title  string
}

// statusOf maps an eligo error code to its HTTP answer. It is the one place
// where codes become statuses; an unknown code is an internal error.
func statusOf(code string) problemKind {
	switch code {
	case eligo.EINVALID:
		return problemKind{http.StatusBadRequest, "invalid", "The request is not valid"}
	case eligo.EUNAUTHORIZED:
		return problemKind{http.StatusUnauthorized, "unauthorized", "Credentials are missing or not valid"}
	case eligo.EFORBIDDEN:
		return problemKind{http.StatusForbidden, "forbidden", "These credentials may not do this"}
	case eligo.ENOTFOUND:
		return problemKind{http.StatusNotFound, "not-found", "Not found"}
	case eligo.ECONFLICT:
		return problemKind{http.StatusConflict, "conflict", "The request conflicts with the current state"}
	case eligo.ETOOMANY:
		return problemKind{http.StatusTooManyRequests, "too-many", "Too many requests"}
	case eligo.EPRECONDITION:
		return problemKind{http.StatusPreconditionFailed, "precondition-failed", "A precondition of the request does not hold"}
	case eligo.ETOOLARGE:
		return problemKind{http.StatusRequestEntityTooLarge, "too-large", "The request is too large"}
	case eligo.EUNAVAILABLE:
		return problemKind{http.StatusServiceUnavailable, "unavailable", "Unavailable for now"}
	case eligo.EUPGRADE:
		return problemKind{http.StatusUpgradeRequired, "upgrade-required", "Upgrade required"}
	}
	return problemKind{http.StatusInternalServerError, "internal", "Internal error"}
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance,omitempty"`
	Reason   string `json:"reason,omitempty"` // the policy rule behind a refusal
	// RequestID is the request's X-Request-Id, to quote to an operator.
	RequestID string `json:"request_id,omitempty"`
}

// WriteError answers err as problem+json: the one writer of eligo's
// problem documents, which the handlers that httpapi routes but does not
// implement (internal/webdemo) use too. The status comes from err's eligo
// error code (statusOf); internal errors are logged with their real text
// and answered with a generic detail.
func WriteError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	writeError(w, r, logger, err)
}

// writeError is WriteError.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code := eligo.ErrorCode(err)
	switch {
	case code != eligo.EINTERNAL:
	case r.Context().Err() != nil:
		// The client went away (or the server is shutting down) while the
		// request waited on the store: nothing failed that anyone must fix.
		logger.DebugContext(r.Context(), "request abandoned", "request_id", requestIDOf(w), "method", r.Method, "route", r.Pattern, "err", err)
	default:
		logger.ErrorContext(r.Context(), "internal error", "request_id", requestIDOf(w), "method", r.Method, "route", r.Pattern, "path", r.URL.Path, "err", err)
	}
	k := statusOf(code)
	switch k.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", bearerChallenge(err))
	case http.StatusServiceUnavailable:
		// A store or dependency that refuses for now: the client retries.
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	writeProblem(w, r, k, eligo.ErrorMessage(err), eligo.ErrorReason(err))
}

func writeProblem(w http.ResponseWriter, r *http.Request, k problemKind, detail, reason string) {
	b, err := json.Marshal(problem{
		Type:      problemTypeBase + k.slug,
		Title:     k.title,
		Status:    k.status,
		Detail:    detail,
		Instance:  r.URL.Path,
		Reason:    reason,
		RequestID: requestIDOf(w),
	})
	if err != nil { // cannot happen: every field is a string or an int
		b = []byte(`{"type":"` + problemTypeBase + `internal","title":"Internal error","status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Etag")
	if bodyUnread(r) {
		// Refused before the body was read (or while reading it): close
		// rather than let net/http wait for the rest of it.
		h.Set("Connection", "close")
	}
	w.WriteHeader(k.status)
	_, _ = w.Write(b)
}

// probeMethods are the methods tried to tell 405 from 404.
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// handleMiss answers requests that no route matches: 405 with an Allow
// header when the path is routed for other methods, 404 otherwise. It is
// registered as "/" so the mux sends every miss here; it asks the same mux
// which methods the path has, which costs only on misses.
func handleMiss(deps Deps, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range probeMethods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allowed = append(allowed, m)
				if m == http.MethodGet {
					allowed = append(allowed, http.MethodHead)
				}
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeProblem(w, r, problemKind{http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"},
				r.Method+" is not supported here; use "+strings.Join(allowed, " or "), "")
			return
		}
		writeError(w, r, deps.Logger, eligo.Errorf(eligo.ENOTFOUND, "no route matches %s %s", r.Method, r.URL.Path))
	})
}
