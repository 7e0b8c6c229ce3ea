package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/bulk"
)

// BulkLoad writes rows in one transaction with COPY, each column encoded
// as the store's own writes encode it, so that they read back as
// CreateOrder and UpdateOrders would have left them (see package bulk);
// its times should be whole microseconds, as the store's clock keeps them.
// It is for laying down a long history in a new database, for benchmarks
// and tests: it decides nothing (an order id or event id that exists is an
// error and nothing is written), runs no jobs hook and no statement
// deadline. Never use it on a database in service.
func (s *Store) BulkLoad(ctx context.Context, rows *bulk.Rows) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: bulk load: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return fmt.Errorf("postgres: bulk load: %w", err)
	}
	copies := []struct {
		table   string
		columns string
		n       int
		row     func(i int) []any
	}{
		{"orders", orderColumns, len(rows.Orders), func(i int) []any {
			return orderArgs(&rows.Orders[i])
		}},
		{"versions", `item_type, item_id, event, whodunnit, object_changes, event_id, order_version, created_at, host, build, occurred_at,
			action, policy_version, params`,
			len(rows.Versions), func(i int) []any {
				v := &rows.Versions[i]
				action, policyVersion, params := eligo.VersionActionColumns(&v.Version)
				return []any{eligo.ItemTypeOrder, v.ItemID, v.Event, v.Whodunnit, string(v.Changes),
					pgtype.Text{String: v.EventID, Valid: v.EventID != ""}, v.OrderVersion, v.CreatedAt, v.Host, v.Build, timestamp(v.OccurredAt),
					action, policyVersion, params}
			}},
		{"processed_events", `event_id, order_id, processed_at, event_type, event_status, occurred_at`,
			len(rows.Events), func(i int) []any {
				e := &rows.Events[i]
				return []any{e.ID, e.Record.OrderID, e.ProcessedAt, e.Record.Type, e.Record.Status, timestamp(e.Record.OccurredAt)}
			}},
	}
	for _, c := range copies {
		if c.n == 0 {
			continue
		}
		cols := strings.Split(c.columns, ",")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		src := pgx.CopyFromSlice(c.n, func(i int) ([]any, error) { return c.row(i), nil })
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, cols, src); err != nil {
			return fmt.Errorf("postgres: bulk load: copy %s: %w", c.table, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: bulk load: commit: %w", err)
	}
	return nil
}
