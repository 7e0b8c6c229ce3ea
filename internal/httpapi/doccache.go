package httpapi

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eligibility"
)

// docCacheSlots bounds the answers kept: one per slot, the last one read
// of the orders whose id falls in it (about 400 bytes each).
const docCacheSlots = 8192

// docCache keeps the clock-free parts of recent eligibility answers: the
// ETag value and the JSON before and after as_of. A read decides afresh,
// as always; when its decisions are those of the kept answer (the same
// order, version and decisions: eligibility.Document.SameAnswer), it
// copies the kept parts and writes only the instant, instead of encoding
// and hashing again. Anything else replaces the slot's answer. Kept answers
// are never changed, so readers share them without a lock.
type docCache struct {
	seed  maphash.Seed
	slots [docCacheSlots]atomic.Pointer[keptDoc]
}

// keptDoc is one kept answer. Its fields are set once, before it is stored.
type keptDoc struct {
	doc  eligibility.Document // without as_of; Actions its own copy
	etag []string             // the Etag header value
	head []byte               // the JSON up to as_of
	tail []byte               // the JSON after as_of, with the final newline
}

func newDocCache() *docCache { return &docCache{seed: maphash.MakeSeed()} }

// answer returns the kept answer for doc, building and keeping it when the
// slot holds another.
func (c *docCache) answer(doc *eligibility.Document) *keptDoc {
	slot := &c.slots[maphash.String(c.seed, doc.OrderID)%docCacheSlots]
	if k := slot.Load(); k != nil && k.doc.SameAnswer(doc) {
		return k
	}
	k := &keptDoc{doc: keptCopy(doc)}
	var tag [48]byte
	k.etag = []string{string(k.doc.AppendETag(tag[:0]))}
	k.head = k.doc.AppendJSONHead(nil)
	k.tail = append(k.doc.AppendJSONTail(nil), '\n')
	slot.Store(k)
	return k
}

// keptCopy returns a copy of doc, without as_of, that shares nothing with
// it: doc (its decisions, the strings they hold) may live on the caller's
// stack, and the compiler keeps it there only if nothing of it is kept.
func keptCopy(doc *eligibility.Document) eligibility.Document {
	actions := make([]eligibility.ActionDecision, len(doc.Actions))
	for i := range doc.Actions {
		a := &doc.Actions[i]
		actions[i] = eligibility.ActionDecision{Action: strings.Clone(a.Action), Decision: eligo.Decision{
			Allowed: a.Allowed,
			Reason:  strings.Clone(a.Reason),
			Until:   time.Unix(a.Until.Unix(), int64(a.Until.Nanosecond())).UTC(), // the same instant
		}}
	}
	return eligibility.Document{OrderID: strings.Clone(doc.OrderID), Version: doc.Version, PolicyVersion: strings.Clone(doc.PolicyVersion), Actions: actions}
}
