// Package strictjson reads the flat JSON objects that eligo takes in (an
// event, an order) so that every reader of the same bytes agrees on what
// they say: member names match exactly (case-sensitively), a name given
// twice, an unknown name and invalid UTF-8 are refused, and every error is
// an EINVALID error in words a sender can act on, never naming Go code.
//
// It is built on the tokenizer of github.com/go-json-experiment/json
// (encoding/json/v2), which rejects duplicate names and invalid UTF-8 as it
// reads.
package strictjson

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/eligo/eligo"
)

// NewDecoder returns a decoder of the JSON in data.
func NewDecoder(data []byte) *jsontext.Decoder {
	return jsontext.NewDecoder(bytes.NewReader(data))
}

// Member is one member an object may have: its name, and, after ReadObject,
// its value. A member that is absent or null is not Set; Null tells that it
// was given as null.
type Member struct {
	Name  string
	Value string
	Set   bool
	Null  bool
	// Object makes the member take a JSON object (or null) instead of a
	// string: ReadObject keeps the object's bytes in Raw, as sent, and
	// checks only that they are JSON with each name once (Strings reads
	// an object of strings).
	Object bool
	Raw    jsontext.Value
}

// ReadObject reads one JSON object from dec whose members are all among ms
// and are strings or null (objects or null for an Object member), and
// fills ms. what names the object in error messages ("the event", "event
// [3]").
func ReadObject(dec *jsontext.Decoder, what string, ms []Member) error {
	if k := dec.PeekKind(); k != '{' {
		if !isValueKind(k) {
			_, err := dec.ReadToken()
			if errors.Is(err, io.EOF) && dec.StackDepth() == 0 {
				return eligo.Errorf(eligo.EINVALID, "%s is empty; expected a JSON object with %s", what, names(ms))
			}
			return Error(err, what)
		}
		if err := checkScalar(dec, k); err != nil {
			return Error(err, what)
		}
		return eligo.Errorf(eligo.EINVALID, "%s is a JSON %s; expected an object with %s", what, KindName(k), names(ms))
	}
	if _, err := dec.ReadToken(); err != nil {
		return Error(err, what)
	}
	for {
		if dec.PeekKind() == '}' {
			_, err := dec.ReadToken()
			return Error(err, what)
		}
		tok, err := dec.ReadToken() // a name: jsontext refuses a repeated one here
		if err != nil {
			return Error(err, what)
		}
		name := tok.String()
		m := find(ms, name)
		if m == nil {
			for i := range ms {
				if strings.EqualFold(ms[i].Name, name) {
					return eligo.Errorf(eligo.EINVALID, "%s has the member %q; member names are case-sensitive: send %q", what, name, ms[i].Name)
				}
			}
			return eligo.Errorf(eligo.EINVALID, "%s has an unknown member %q; expected only %s", what, name, names(ms))
		}
		switch k := dec.PeekKind(); {
		case k == '{' && m.Object:
			raw, err := dec.ReadValue()
			if err != nil {
				return Error(err, what)
			}
			m.Raw, m.Set = raw.Clone(), true
		case k == '"' && !m.Object:
			tok, err := dec.ReadToken()
			if err != nil {
				return Error(err, what)
			}
			m.Value, m.Set = tok.String(), true
		case k == 'n':
			if _, err := dec.ReadToken(); err != nil {
				return Error(err, what)
			}
			m.Value, m.Raw, m.Set, m.Null = "", nil, false, true
		default:
			if err := checkScalar(dec, k); err != nil {
				return Error(err, what)
			}
			expected := "a string"
			if m.Object {
				expected = "an object"
			}
			return eligo.Errorf(eligo.EINVALID, "field %q of %s is a JSON %s; expected %s", name, what, KindName(k), expected)
		}
	}
}

// Strings reads raw, the object an Object member named field of what
// holds, as an object whose every member is a string: the members by name
// (an empty object is an empty map).
func Strings(raw jsontext.Value, field, what string) (map[string]string, error) {
	dec := NewDecoder(raw)
	where := "field " + strconv.Quote(field) + " of " + what
	if _, err := dec.ReadToken(); err != nil { // the '{'
		return nil, Error(err, where)
	}
	out := map[string]string{}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, Error(err, where)
		}
		name := tok.String()
		k := dec.PeekKind()
		if k != '"' {
			if err := checkScalar(dec, k); err != nil {
				return nil, Error(err, where)
			}
			return nil, eligo.Errorf(eligo.EINVALID, "member %q of %s is a JSON %s; expected a string", name, where, KindName(k))
		}
		tok, err = dec.ReadToken()
		if err != nil {
			return nil, Error(err, where)
		}
		out[name] = tok.String()
	}
	return out, nil
}

// End checks that dec holds nothing after the value it has read.
func End(dec *jsontext.Decoder, what string) error {
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return eligo.Errorf(eligo.EINVALID, "%s has data after its JSON value; send exactly one", what)
	}
	return nil
}

// Error turns an error of a jsontext.Decoder about what into an EINVALID
// error a sender can act on. A nil err is nil.
func Error(err error, what string) error {
	var syntax *jsontext.SyntacticError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return eligo.Errorf(eligo.EINVALID, "%s ends in the middle of its JSON value", what)
	case errors.As(err, &syntax) && errors.Is(syntax.Err, jsontext.ErrDuplicateName):
		return eligo.Errorf(eligo.EINVALID, "%s has the member %q twice; send each member once", what, syntax.JSONPointer.LastToken())
	case errors.As(err, &syntax) && syntax.Err != nil:
		// Such as "invalid character 'x' at start of value" or "invalid
		// UTF-8 within string": about the bytes, never about Go.
		return eligo.Errorf(eligo.EINVALID, "%s is not valid JSON (at byte %d): %s", what, syntax.ByteOffset+1, syntax.Err)
	}
	return eligo.Errorf(eligo.EINVALID, "%s is not valid JSON", what)
}

// Timestamp parses the RFC 3339 timestamp v of field (named for error
// messages), strictly: "2025-03-14T12:10:00Z", with optional fractional
// seconds and a Z or ±hh:mm offset, which is kept. "" and every other
// string are EINVALID, including forms time.Parse would let through (a
// one-digit hour, a comma before the fraction, an offset of 24 hours).
func Timestamp(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || !isRFC3339(v) {
		return time.Time{}, eligo.Errorf(eligo.EINVALID, "%s is %q; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z", field, v)
	}
	return t, nil
}

// isRFC3339 reports whether v has the shape of an RFC 3339 date-time:
// YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm), with offsets within ±23:59. The
// ranges of the date and time fields are time.Parse's to check.
func isRFC3339(v string) bool {
	const date = "0000-00-00T00:00:00"
	if len(v) < len(date)+1 {
		return false
	}
	for i := range len(date) {
		if d := date[i]; d == '0' && !isDigit(v[i]) || d != '0' && v[i] != d {
			return false
		}
	}
	rest := v[len(date):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" {
		return true
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') &&
		isDigit(rest[1]) && isDigit(rest[2]) && rest[3] == ':' && isDigit(rest[4]) && isDigit(rest[5]) &&
		rest[1:3] <= "23" && rest[4] <= '5'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// KindName names a JSON kind as a sender thinks of it: "a JSON %s".
func KindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

// checkScalar reads the next token when it is a scalar or not a value, and
// returns its error: PeekKind tells only the first byte ("nope" peeks as
// null), or answers another kind (often 0) at an error. An object or an
// array is left unread: its first byte is enough to name it.
func checkScalar(dec *jsontext.Decoder, k jsontext.Kind) error {
	if k == '{' || k == '[' {
		return nil
	}
	_, err := dec.ReadToken()
	if err == nil && !isValueKind(k) {
		err = io.ErrUnexpectedEOF // cannot happen: a token read is a value
	}
	return err
}

// isValueKind reports whether k starts a JSON value; PeekKind answers
// another kind (often 0) at an error, which the next read returns.
func isValueKind(k jsontext.Kind) bool {
	switch k {
	case 'n', 't', 'f', '"', '0', '{', '[':
		return true
	}
	return false
}

func find(ms []Member, name string) *Member {
	for i := range ms {
		if ms[i].Name == name {
			return &ms[i]
		}
	}
	return nil
}

// names lists the member names: "a, b and c".
func names(ms []Member) string {
	var b strings.Builder
	for i := range ms {
		switch {
		case i == 0:
		case i == len(ms)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(ms[i].Name)
	}
	return b.String()
}
