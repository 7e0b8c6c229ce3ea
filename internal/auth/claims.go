package auth

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// customerClaims are the claims of a customer token. jwt.NumericDate also
// takes a string that holds a number ("exp":"1999999999"); RFC 7519 says a
// NumericDate is a JSON number, and so does UnmarshalJSON. It also keeps
// the fraction of a second that jwt.NumericDate cuts off, so that a token
// lives until its exp and not up to a second less.
type customerClaims struct {
	jwt.RegisteredClaims

	// idClaim names the claim that holds the customer id, when it is not
	// sub; set before parsing. idValue is that claim's value, "" when it
	// is missing or not a string.
	idClaim string
	idValue string
}

func (c *customerClaims) UnmarshalJSON(b []byte) error {
	// Keys match as encoding/json matches them (case-insensitively, the
	// last one winning), so these are the values RegisteredClaims gets.
	var times struct {
		Exp json.RawMessage `json:"exp"`
		Nbf json.RawMessage `json:"nbf"`
		Iat json.RawMessage `json:"iat"`
	}
	if err := json.Unmarshal(b, &times); err != nil {
		return err
	}
	var exact [3]*jwt.NumericDate
	for i, v := range []json.RawMessage{times.Exp, times.Nbf, times.Iat} {
		if v == nil {
			continue
		}
		d, ok := numericDate(v)
		if !ok {
			return errTimeNotNumber
		}
		exact[i] = d
	}
	if err := json.Unmarshal(b, &c.RegisteredClaims); err != nil {
		return err
	}
	c.ExpiresAt, c.NotBefore, c.IssuedAt = exact[0], exact[1], exact[2]
	if c.idClaim == "" {
		return nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	// A missing claim, or one that is not a string, leaves idValue "".
	_ = json.Unmarshal(all[c.idClaim], &c.idValue)
	return nil
}

// The NumericDates accepted: from the year 1 to 9999, so that any number
// becomes a time that compares as it should.
const (
	minNumericDate = -62135596800 // 0001-01-01T00:00:00Z
	maxNumericDate = 253402300799 // 9999-12-31T23:59:59Z
)

// numericDate returns the time v, a valid JSON value, stands for when it is
// a number of seconds since 1970, with its fraction to the nanosecond;
// ok is false when v is not a number. A time beyond the years 1 to 9999
// is taken as the bound it passes.
func numericDate(v json.RawMessage) (d *jwt.NumericDate, ok bool) {
	if len(v) == 0 || v[0] != '-' && (v[0] < '0' || '9' < v[0]) {
		return nil, false
	}
	s := string(v)
	whole, frac, _ := strings.Cut(s, ".")
	var sec, nsec int64
	if n, err := strconv.ParseInt(whole, 10, 64); err == nil && !strings.ContainsAny(frac, "eE") && n >= minNumericDate && n <= maxNumericDate {
		// The common form, read exactly: digits, and a fraction to the
		// nanosecond (further digits are cut).
		sec = n
		if frac != "" {
			frac = (frac + "000000000")[:9]
			f, _ := strconv.ParseInt(frac, 10, 64)
			if strings.HasPrefix(whole, "-") {
				f = -f
			}
			nsec = f
		}
	} else {
		// An exponent (1.7e9) or a number out of range.
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, false
		}
		f = math.Max(minNumericDate, math.Min(maxNumericDate, f))
		i, fr := math.Modf(f)
		sec, nsec = int64(i), int64(fr*1e9)
	}
	return &jwt.NumericDate{Time: time.Unix(sec, nsec)}, true
}
