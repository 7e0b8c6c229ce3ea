package eligo

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// ActionCancel is the action POST /v1/orders/{id}/cancel takes. It always
// ends the order (ends_order).
const ActionCancel = "cancel"

// PolicyVersion names one version of the policy: Seq counts the versions
// the store has held (1 for the first applied; 0 for a policy not stored,
// such as the built-in one or a file read at start), and Hash is the
// SHA-256 of its canonical form, so the same rules have the same hash
// whichever replica or file they came from.
type PolicyVersion struct {
	Seq  int64
	Hash string // hex
}

// policyHashShown is how many hex digits of the hash a version's text
// shows: enough to tell policies apart, short enough to read.
const policyHashShown = 12

// String returns the version as documents carry it (policy_version):
// "SEQ-HASH12", such as "3-9f86d081884c".
func (v PolicyVersion) String() string {
	h := v.Hash
	if len(h) > policyHashShown {
		h = h[:policyHashShown]
	}
	return strconv.FormatInt(v.Seq, 10) + "-" + h
}

// ParsePolicyVersion parses the text String writes, with a hash of at
// least its shown digits or the whole one.
func ParsePolicyVersion(s string) (PolicyVersion, error) {
	seq, hash, ok := strings.Cut(s, "-")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 0 || len(hash) < policyHashShown || strings.Trim(hash, "0123456789abcdef") != "" {
		return PolicyVersion{}, Errorf(EINVALID, "policy version %q is not SEQ-HASH (such as 3-9f86d081884c)", s)
	}
	return PolicyVersion{Seq: n, Hash: hash}, nil
}

// Version returns the policy's version.
func (p *Policy) Version() PolicyVersion { return p.version }

// VersionString returns p.Version().String(), computed once.
func (p *Policy) VersionString() string { return p.versionID }

// Canonical returns the policy file re-encoded in its canonical form: JSON
// with members in a fixed order and empty optional members left out. Its
// SHA-256 is the version's hash. The caller must not change it.
func (p *Policy) Canonical() []byte { return p.canonical }

// WithSeq returns a copy of p that is sequence number seq of the store's
// policies. The rules are shared: they never change.
func (p *Policy) WithSeq(seq int64) *Policy {
	q := *p
	q.setVersion(PolicyVersion{Seq: seq, Hash: p.version.Hash})
	return &q
}

func (p *Policy) setVersion(v PolicyVersion) {
	p.version, p.versionID = v, v.String()
}

// LatestPolicy holds the latest of the policy versions it has been
// offered: the one rule by which a replica's engine and its live hub move
// from one policy to the next. Versions arrive more than once and in any
// order (the fan-out's notice, the store's poll, concurrent switches), so
// only a higher sequence number replaces the policy held. It is safe for
// concurrent use; the zero value holds none.
type LatestPolicy struct{ p atomic.Pointer[Policy] }

// NewLatestPolicy returns a LatestPolicy holding p.
func NewLatestPolicy(p *Policy) *LatestPolicy {
	l := &LatestPolicy{}
	l.p.Store(p)
	return l
}

// Load returns the policy held.
func (l *LatestPolicy) Load() *Policy { return l.p.Load() }

// Offer makes p the policy held if it is a later version (a higher
// sequence number) than the one held, or none is, and reports whether it
// did.
func (l *LatestPolicy) Offer(p *Policy) bool {
	for {
		cur := l.p.Load()
		if cur != nil && p.Version().Seq <= cur.Version().Seq {
			return false
		}
		if l.p.CompareAndSwap(cur, p) {
			return true
		}
	}
}
