package postgres

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// The store's errors are either an *eligo.Error (ENOTFOUND, ECONFLICT,
// EINVALID) or a wrapped database error, which eligo.ErrorCode reports as
// EINTERNAL and eligo.ErrorMessage never shows. pgx.ErrNoRows never leaves
// the package: it becomes ENOTFOUND where a row was asked for.

// SQLSTATE codes of the failures that a fresh attempt of the same
// transaction can get past.
const (
	sqlstateUniqueViolation      = "23505"
	sqlstateSerializationFailure = "40001"
	sqlstateDeadlockDetected     = "40P01"

	sqlstateQueryCanceled       = "57014" // statement_timeout
	sqlstateLockNotAvailable    = "55P03" // lock_timeout
	sqlstateTooManyConnections  = "53300"
	sqlstateCannotConnectNow    = "57P03" // starting up or shutting down
	sqlstateAdminShutdown       = "57P01"
	sqlstateConnectionException = "08" // class
)

// unavailable reports whether err says the database cannot answer for now:
// a statement or lock timeout, no connection to be had, or one that broke:
// reset (a net.Error) or closed by the other end in the middle of a reply
// (io.ErrUnexpectedEOF, io.EOF: a proxy, a load balancer or a restarting
// server closing it). The store answers it with EUNAVAILABLE.
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case sqlstateQueryCanceled, sqlstateLockNotAvailable, sqlstateTooManyConnections,
			sqlstateCannotConnectNow, sqlstateAdminShutdown:
			return true
		}
		return strings.HasPrefix(pgErr.Code, sqlstateConnectionException)
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// brokenConn reports whether err says the connection broke (reset, closed
// by the other end, or closed before anything was sent), so that a new
// connection may get past it; not a timeout, nor a connection that cannot
// be had (the server is away: a new attempt would fail the same).
func brokenConn(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == sqlstateAdminShutdown || strings.HasPrefix(pgErr.Code, sqlstateConnectionException)
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) || pgconn.Timeout(err) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return !netErr.Timeout()
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// retryable reports whether err ended a transaction for a reason that a
// new attempt may not meet: a deadlock, a serialization failure, or a
// unique violation from a concurrent transaction that inserted the same
// order or event id first (the new attempt sees its row).
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case sqlstateUniqueViolation, sqlstateSerializationFailure, sqlstateDeadlockDetected:
		return true
	}
	return false
}

// SQLSTATE codes of a connection the server refuses for what the URL says.
const (
	sqlstateInvalidPassword      = "28P01"
	sqlstateInvalidAuthorization = "28000" // no such role, or pg_hba.conf refuses it
	sqlstateInvalidCatalogName   = "3D000" // no such database
)

// misconfigured returns what is wrong with a connection that failed for a
// reason a retry cannot get past (the server's certificate cannot be
// verified, the TLS handshake or the authentication was refused, the
// database does not exist), and "" for any other failure, which may be an
// outage.
func misconfigured(err error) string {
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var alert tls.AlertError
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &certErr):
		return "the server's certificate cannot be verified (" + certErr.Err.Error() + "); check sslrootcert, and with sslmode=verify-full that the URL's host is a name in the certificate"
	case errors.As(err, &unknownCA): // sslmode=verify-ca checks the chain itself
		return "the server's certificate cannot be verified (" + unknownCA.Error() + "); check sslrootcert"
	case errors.As(err, &hostErr):
		return "the server's certificate cannot be verified (" + hostErr.Error() + "); check sslrootcert"
	case errors.As(err, &invalid):
		return "the server's certificate cannot be verified (" + invalid.Error() + "); check sslrootcert"
	case errors.As(err, &alert):
		return "the server refused the TLS handshake (" + alert.Error() + "); check sslcert and sslkey"
	case errors.As(err, &pgErr) && (pgErr.Code == sqlstateInvalidPassword || pgErr.Code == sqlstateInvalidAuthorization || pgErr.Code == sqlstateInvalidCatalogName):
		return "the server refused the connection: " + pgErr.Message + " (SQLSTATE " + pgErr.Code + "); check the user, password and database in the URL"
	}
	return ""
}
