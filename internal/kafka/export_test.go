package kafka

// SetBeforeCommit sets a hook that runs after a batch's store commit and
// dead letters and before its offset commit; an error from it ends Run
// without committing, as a crash there would.
func (c *Consumer) SetBeforeCommit(fn func() error) { c.beforeCommit = fn }
