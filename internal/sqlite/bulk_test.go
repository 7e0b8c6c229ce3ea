package sqlite_test

import (
	"testing"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/bulk"
	"github.com/eligo/eligo/internal/sqlite"
	"github.com/eligo/eligo/internal/storetest"
)

func TestBulkLoad(t *testing.T) {
	t.Parallel()
	storetest.ExerciseBulkLoad(t, openTemp, func(t *testing.T, s eligo.OrderStore, rows *bulk.Rows) error {
		return s.(*sqlite.Store).BulkLoad(t.Context(), rows)
	})
}
