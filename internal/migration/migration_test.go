package migration_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/migration"
)

func TestList(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("B")},
		"m/0001_a.sql": {Data: []byte("A")},
		"m/README":     {Data: []byte("not a migration")},
	}
	got, err := migration.List(fsys, "m/*.sql")
	require.NoError(t, err)
	require.Equal(t, []migration.File{{Version: 1, Name: "0001_a", SQL: "A"}, {Version: 2, Name: "0002_b", SQL: "B"}}, got)
}

func TestListRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		wantErr string
	}{
		{"bad name", fstest.MapFS{"m/orders.sql": {}}, "migration m/orders.sql is not named NNNN_description.sql"},
		{"version 0", fstest.MapFS{"m/0000_a.sql": {}}, "migration m/0000_a.sql is not named NNNN_description.sql"},
		{"gap", fstest.MapFS{"m/0001_a.sql": {}, "m/0003_c.sql": {}}, "migration 0003_c has version 3; expected 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := migration.List(tt.fsys, "m/*.sql")
			require.EqualError(t, err, tt.wantErr)
		})
	}
}
