package eligo

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in internal/httpapi.
const (
	ECONFLICT     = "conflict"            // the request conflicts with the current state
	EINTERNAL     = "internal"            // a failure the caller cannot fix; its text is never shown
	EINVALID      = "invalid"             // the input is malformed or breaks a rule
	ENOTFOUND     = "not_found"           // the thing asked for does not exist
	EUNAUTHORIZED = "unauthorized"        // no valid credentials
	EFORBIDDEN    = "forbidden"           // valid credentials that may not do this
	EUNAVAILABLE  = "unavailable"         // a limit or a dependency refuses for now
	ETOOMANY      = "too_many"            // a configured limit was reached
	ETOOLARGE     = "too_large"           // the input is over a size limit (HTTP 413)
	EPRECONDITION = "precondition_failed" // the state is not the one the request was made against (HTTP 412)
	EUPGRADE      = "upgrade_required"    // the protocol or its version is not one served (HTTP 426)
)

// Error is the one error type of the domain. Message is written for a person
// who can act on it; Reason, when set, names the policy rule behind a refusal.
type Error struct {
	Code    string
	Message string
	Reason  string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("eligo: %s: %s (%s)", e.Code, e.Message, e.Reason)
	}
	return fmt.Sprintf("eligo: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, "" for
// nil, and EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err if it is (or wraps) an *Error, and
// a generic text otherwise, so internal details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorReason returns the Reason of err if it is (or wraps) an *Error.
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
