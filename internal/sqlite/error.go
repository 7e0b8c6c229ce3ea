package sqlite

import "errors"

// The store's errors are either an *eligo.Error (ENOTFOUND, ECONFLICT,
// EINVALID) or a wrapped database error, which eligo.ErrorCode reports as
// EINTERNAL and eligo.ErrorMessage never shows.

// Result codes (the primary code, the low byte of an extended one) of a
// database that refuses for now: another connection holds the lock past
// busy_timeout.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

// unavailable reports whether err says the database cannot answer for now
// (SQLITE_BUSY, SQLITE_LOCKED). The store answers it with EUNAVAILABLE.
func unavailable(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return false
	}
	switch coded.Code() & 0xff {
	case sqliteBusy, sqliteLocked:
		return true
	}
	return false
}
