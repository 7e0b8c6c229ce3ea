package postgres_test

import (
	"testing"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/bulk"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/storetest"
	"github.com/eligo/eligo/internal/testenv"
)

func TestBulkLoad(t *testing.T) {
	t.Parallel()
	testenv.PostgresURL(t) // skip (or fail under CI) once
	storetest.ExerciseBulkLoad(t, openFresh, func(t *testing.T, s eligo.OrderStore, rows *bulk.Rows) error {
		return s.(*postgres.Store).BulkLoad(t.Context(), rows)
	})
}
