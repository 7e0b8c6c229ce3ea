package postgres

import (
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
