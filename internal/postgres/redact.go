package postgres

import (
	"net/url"
	"strings"
)

// Redact returns the connection URL with its password replaced by "xxxxx",
// fit for a log line. A URL it cannot parse is replaced whole, since it may
// hold a password anywhere.
func Redact(connURL string) string {
	if !strings.Contains(connURL, "://") {
		// A key=value connection string: keep it only if it has no password.
		if strings.Contains(strings.ToLower(connURL), "password") {
			return "(connection string with a password)"
		}
		return connURL
	}
	u, err := url.Parse(connURL)
	if err != nil {
		return "(unparsable connection URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
