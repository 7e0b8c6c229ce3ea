package postgres

import (
	"errors"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eligo/eligo"
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

// parseError is the EINVALID error of a connection URL that pgx could not
// use. What pgx says about a setting it cannot apply (a CA file that cannot
// be read, an unknown sslmode) is kept; an error that may quote the URL,
// and so its password, is not.
func parseError(connURL string, err error) error {
	const expected = "expected postgres://user@host:port/database?options"
	var pce *pgconn.ParseConfigError
	var urlErr *url.Error
	cause := errors.Unwrap(err)
	if !errors.As(err, &pce) || cause == nil || errors.As(cause, &urlErr) || leaksPassword(connURL, cause.Error()) {
		return eligo.Errorf(eligo.EINVALID, "postgres: the connection URL is not valid; %s", expected)
	}
	return eligo.Errorf(eligo.EINVALID, "postgres: the connection URL %s cannot be used: %v", Redact(connURL), cause)
}

// leaksPassword reports whether text holds the password of connURL.
func leaksPassword(connURL, text string) bool {
	if !strings.Contains(connURL, "://") { // key=value: where a password ends is not certain
		return strings.Contains(strings.ToLower(connURL), "password")
	}
	u, err := url.Parse(connURL)
	if err != nil {
		return true
	}
	pw, _ := u.User.Password()
	if q := u.Query().Get("password"); q != "" {
		pw = q
	}
	return pw != "" && strings.Contains(text, pw)
}
