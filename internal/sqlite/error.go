package sqlite

import (
	"github.com/eligo/eligo"
)

// The store's errors are either an *eligo.Error (ENOTFOUND, ECONFLICT,
// EINVALID) or a wrapped database error, which eligo.ErrorCode reports as
// EINTERNAL and eligo.ErrorMessage never shows.

func orderNotFound(id string) error { return eligo.OrderNotFound(id) }

func versionNotFound(id int64) error { return eligo.VersionNotFound(id) }
