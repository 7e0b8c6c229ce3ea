// Package migration lists the numbered SQL migrations that a store embeds,
// named NNNN_description.sql, in the order they are applied.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// File is one numbered SQL migration.
type File struct {
	Version int    // NNNN, from 1
	Name    string // the file name without .sql, such as 0001_orders
	SQL     string
}

// List returns the migrations in fsys that match pattern (such as
// "migrations/*.sql"), in version order. Every file must be named
// NNNN_description.sql, and versions start at 1 and have no gaps, so that a
// missing file is caught by the tests rather than at start-up in production.
func List(fsys fs.FS, pattern string) ([]File, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var ms []File
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".sql")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s is not named NNNN_description.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, File{Version: v, Name: base, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s has version %d; expected %d", m.Name, m.Version, i+1)
		}
	}
	return ms, nil
}

// The columns both stores read, in the order their scanOrder and
// scanVersion read them; the migrations of both create them.
const (
	OrderColumns = `id, customer_id, status, driver_status, payment_status,
	placed_at, promised_at, payment_timeout_at, version, updated_at,
	attributes, deadlines, taken`
	VersionColumns = `id, item_type, item_id, event, whodunnit, object_changes,
	event_id, order_version, created_at, host, build, occurred_at,
	action, policy_version, params`
	PolicyColumns = `seq, hash, body, whodunnit, host, build, created_at`
)
