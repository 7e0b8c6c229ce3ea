package engine

// NegativeLen returns how many ids e's negative cache holds.
func NegativeLen(e *Engine) int {
	if e.negative == nil {
		return 0
	}
	e.negative.mu.Lock()
	defer e.negative.mu.Unlock()
	return len(e.negative.expires)
}
