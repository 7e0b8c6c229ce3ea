package httpapi

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"strconv"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eligibility"
)

// explainDoc is the explanation of one action's answer (eligo.Explain):
// the segment whose rules decided it (null for the default rules), and
// every window and block of those rules on this order at as_of. Bounds
// are as the policy writes them (null when unset); instants are null when
// the bound is unset or the order lacks what it is relative to (missing
// names it); next is when matched next changes by the clock alone (null:
// never).
type explainDoc struct {
	Segment *string     `json:"segment"`
	Windows []windowDoc `json:"windows"`
	Blocks  []blockDoc  `json:"blocks"` // in the order they are checked
}

type windowDoc struct {
	Name      string     `json:"name"`
	Matched   bool       `json:"matched"` // open at as_of
	FromBound *string    `json:"from_bound"`
	ToBound   *string    `json:"to_bound"`
	From      *time.Time `json:"from"`
	To        *time.Time `json:"to"`
	Missing   []string   `json:"missing"`
	Next      *time.Time `json:"next"`
}

type blockDoc struct {
	Name          string     `json:"name"`
	Matched       bool       `json:"matched"`        // forbids at as_of
	StatusMatched bool       `json:"status_matched"` // the order's statuses are those it lists
	FromBound     *string    `json:"from_bound"`
	From          *time.Time `json:"from"`
	Missing       []string   `json:"missing"`
	Next          *time.Time `json:"next"`
}

func newExplainDoc(e *eligo.Explanation) explainDoc {
	d := explainDoc{Segment: stringOrNull(e.Segment), Windows: make([]windowDoc, len(e.Windows)), Blocks: make([]blockDoc, len(e.Blocks))}
	for i := range e.Windows {
		rs := &e.Windows[i]
		d.Windows[i] = windowDoc{Name: rs.Name, Matched: rs.Matched, FromBound: stringOrNull(rs.FromBound), ToBound: stringOrNull(rs.ToBound),
			From: instantOrNull(rs.From), To: instantOrNull(rs.To), Missing: listOrEmpty(rs.Missing), Next: instantOrNull(rs.Next)}
	}
	for i := range e.Blocks {
		rs := &e.Blocks[i]
		d.Blocks[i] = blockDoc{Name: rs.Name, Matched: rs.Matched, StatusMatched: rs.StatusMatched, FromBound: stringOrNull(rs.FromBound),
			From: instantOrNull(rs.From), Missing: listOrEmpty(rs.Missing), Next: instantOrNull(rs.Next)}
	}
	return d
}

func stringOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func instantOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func listOrEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// serveExplain answers GET /v1/orders/{id}/eligibility?explain=true: the
// eligibility document of o at now under p (of every action, or only
// action) with "explain", the explanation of each answer. It is the slow
// path, for people: encoded with encoding/json, nothing kept.
//
// Its ETag is the document's with a hash of the explanation added, and its
// max-age reaches neither past the earliest until nor past the earliest
// next of any rule: an explanation can change (a window opening behind a
// block) while the answer does not.
func serveExplain(w http.ResponseWriter, r *http.Request, deps Deps, cc *cacheControl, o *eligo.Order, p *eligo.Policy, action string, now time.Time) {
	doc := eligibility.Build(o, p, action, now)
	explain := make(map[string]explainDoc, len(doc.Actions))
	changes := doc.Until()
	for _, a := range doc.Actions {
		e, ok := eligo.Explain(o, p, a.Action, now)
		if !ok {
			continue // cannot happen: doc holds the policy's own actions
		}
		explain[a.Action] = newExplainDoc(&e)
		for _, rs := range append(e.Windows, e.Blocks...) {
			if !rs.Next.IsZero() && (changes.IsZero() || rs.Next.Before(changes)) {
				changes = rs.Next
			}
		}
	}
	ej, err := json.Marshal(explain)
	if err != nil {
		writeError(w, r, deps.Logger, err)
		return
	}
	h := fnv.New64a()
	_, _ = h.Write(ej)
	tag := doc.AppendETag(nil)
	tag = append(tag[:len(tag)-1], '-')
	tag = strconv.AppendUint(tag, h.Sum64(), 36)
	tag = append(tag, '"')

	hd := w.Header()
	hd.Set("Etag", string(tag))
	hd["Cache-Control"] = cc.header(changes, now)
	if inm, ok := r.Header["If-None-Match"]; ok && etagWeakMatch(inm, string(tag)) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	b := doc.AppendJSON(nil)
	b = append(b[:len(b)-1], `,"explain":`...) // the document's final '}' follows the explanation
	b = append(b, ej...)
	b = append(b, '}', '\n')
	hd["Content-Type"] = contentTypeJSON
	_, _ = w.Write(b)
}
