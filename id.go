package eligo

import (
	"unicode"
	"unicode/utf8"
)

// maxIDLen bounds order, customer and event ids.
const maxIDLen = 128

// ValidateID checks an order, customer or event id; what names it in the
// error ("order id", "customer_id"). Every way in (the HTTP API's bodies and
// paths, Kafka records, the stores) uses this one rule.
//
// An id is 1 to 128 bytes of valid UTF-8 whose characters are all visible
// and distinct: no spaces (U+0020, U+00A0, U+3000, ...), no control (U+0000
// to U+001F, U+007F to U+009F, so U+0085), format (U+200B, U+202E, U+FEFF,
// ...) or other default-ignorable characters (variation selectors, Hangul
// fillers), no private-use or unassigned code points, no U+FFFD (which JSON
// decoders put in place of invalid UTF-8, so that two different ids would
// read the same), none of '/', '?', '#' and '%' (which URLs give meaning
// to), and not "." or ".." (which URL paths resolve away). An error names
// the character and its byte position.
func ValidateID(what, id string) error {
	if id == "" {
		return Errorf(EINVALID, "%s is required", what)
	}
	if len(id) > maxIDLen {
		return Errorf(EINVALID, "%s is %d bytes long; the limit is %d", what, len(id), maxIDLen)
	}
	if id == "." || id == ".." {
		return Errorf(EINVALID, "%s %q is not an id: URL paths resolve it away", what, id)
	}
	for i := 0; i < len(id); {
		r, n := utf8.DecodeRuneInString(id[i:])
		if r == utf8.RuneError && n <= 1 {
			return Errorf(EINVALID, "%s %q has invalid UTF-8 (byte 0x%02X) at byte %d; an id is UTF-8 text", what, id, id[i], i)
		}
		if !idRune(r) {
			return Errorf(EINVALID, "%s %q has %U at byte %d; an id holds visible characters only: no spaces, control, format or invisible characters, U+FFFD, '/', '?', '#' or '%%'", what, id, r, i)
		}
		i += n
	}
	return nil
}

// idRune reports whether r may appear in an id.
func idRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r < 0x7f && r != '/' && r != '?' && r != '#' && r != '%'
	}
	// IsGraphic admits letters, marks, numbers, punctuation, symbols and
	// spaces (Zs); it excludes control, format, private-use, surrogate and
	// unassigned code points.
	return unicode.IsGraphic(r) && !unicode.Is(unicode.Zs, r) && r != utf8.RuneError &&
		!unicode.In(r, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}
