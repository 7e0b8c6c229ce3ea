package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/eligibility"
)

// docBuffers pools the eligibility encoding buffers.
var docBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// handleEligibility answers whether each action (or only ?action=) may be
// done now, under the policy in force at the instant of the request. The
// answer is decided at the engine's clock against the read model, tagged
// with a weak ETag that changes with the version, the policy version or
// any decision (weak: as_of differs between answers with the same tag),
// and cacheable for no longer than until its next change.
//
// ?explain=true (a service token only: a customer is 403) adds the
// explanation of each answer, on a slow path of its own (serveExplain);
// without a query the read never looks for it.
func handleEligibility(deps Deps) orderHandler {
	cacheControl := newCacheControl(deps.MaxAge)
	docs := newDocCache()
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal, o eligo.Order) {
		policy := deps.Engine.Policy()
		action, err := auth.QueryValue(r.URL.RawQuery, "action")
		if err != nil {
			writeError(w, r, deps.Logger, err)
			return
		}
		if action != "" && policy.Action(action) == nil {
			writeError(w, r, deps.Logger, eligo.Errorf(eligo.EINVALID, "unknown action %q; expected one of: %s", action, strings.Join(policy.ActionNames(), ", ")))
			return
		}
		now := deps.Engine.Now()
		if r.URL.RawQuery != "" {
			explain, err := explainAsked(r.URL.RawQuery, p)
			if err != nil {
				writeError(w, r, deps.Logger, err)
				return
			}
			if explain {
				serveExplain(w, r, deps, cacheControl, &o, policy, action, now)
				return
			}
		}
		var decisions [4]eligibility.ActionDecision
		doc := eligibility.BuildInto(decisions[:0], &o, policy, action, now)
		kept := docs.answer(&doc)

		h := w.Header()
		h["Etag"] = kept.etag
		h["Cache-Control"] = cacheControl.header(doc.Until(), now)
		if inm, ok := r.Header["If-None-Match"]; ok && etagWeakMatch(inm, kept.etag[0]) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h["Content-Type"] = contentTypeJSON
		bp := docBuffers.Get().(*[]byte)
		b := append((*bp)[:0], kept.head...)
		b = doc.AppendAsOf(b)
		b = append(b, kept.tail...)
		_, _ = w.Write(b)
		*bp = b
		docBuffers.Put(bp)
	}
}

// explainAsked reads ?explain= of an eligibility read: "true" asks for the
// explanation, which only a service token may (EFORBIDDEN otherwise);
// absent or "false" does not; anything else is EINVALID.
func explainAsked(rawQuery string, p auth.Principal) (bool, error) {
	v, err := auth.QueryValue(rawQuery, "explain")
	switch {
	case err != nil:
		return false, err
	case v == "" || v == "false":
		return false, nil
	case v != "true":
		return false, eligo.Errorf(eligo.EINVALID, "explain %q is not true or false", v)
	case !p.Service:
		return false, eligo.Errorf(eligo.EFORBIDDEN, "explain=true needs a service token; a customer token reads the eligibility document without it")
	}
	return true, nil
}

// cacheControl makes the Cache-Control values "private, max-age=N" for N up
// to the cap. The values up to maxPrebuilt seconds are built once, so the
// hot path sets the header without allocating.
type cacheControl struct {
	cap    int64
	values [][]string
}

const maxPrebuilt = 600

func newCacheControl(maxAge time.Duration) *cacheControl {
	c := &cacheControl{cap: int64(maxAge / time.Second)}
	c.values = make([][]string, min(c.cap, maxPrebuilt)+1)
	for i := range c.values {
		c.values[i] = []string{"private, max-age=" + strconv.Itoa(i)}
	}
	return c
}

// header returns the Cache-Control value for a document whose answer next
// changes at until (zero: never): max-age is the whole seconds left before
// until, rounded down, so a cache never serves an answer past its change,
// and at most the cap.
func (c *cacheControl) header(until, now time.Time) []string {
	n := c.cap
	if !until.IsZero() {
		n = max(min(n, int64(until.Sub(now)/time.Second)), 0)
	}
	if n < int64(len(c.values)) {
		return c.values[n]
	}
	return []string{"private, max-age=" + strconv.FormatInt(n, 10)}
}

// etagWeakMatch reports whether an If-None-Match header (its values as
// sent, each a list) matches etag under the weak comparison RFC 9110 asks
// for: W/ prefixes are ignored, and "*" matches any current representation.
func etagWeakMatch(values []string, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for _, v := range values {
		for v != "" {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] == '*' {
				return true
			}
			v = strings.TrimPrefix(v, "W/")
			if v == "" || v[0] != '"' {
				// Not an entity tag: skip to the next list member.
				_, v, _ = strings.Cut(v, ",")
				continue
			}
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				break
			}
			if v[:end+2] == etag {
				return true
			}
			v = v[end+2:]
		}
	}
	return false
}
