package engine

import (
	"context"

	"github.com/eligo/eligo"
)

// StoredOrder returns the order as the store has it, or ENOTFOUND. Workers
// read the store rather than the read model, which a process that runs only
// workers does not fill.
func (e *Engine) StoredOrder(ctx context.Context, id string) (eligo.Order, error) {
	return e.cfg.Store.FindOrder(ctx, id)
}
