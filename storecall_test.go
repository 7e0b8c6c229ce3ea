package eligo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// A deadline derived from the call's (a group commit's context, which
// takes the latest deadline of its writes) can fire before the call's own
// timer: the store did not answer in time all the same. It was EINTERNAL
// (sqlite's TestWriteLockPastTimeoutIsUnavailable failed on it under load).
func TestStoreCallDeadlineOfADerivedContextIsUnavailable(t *testing.T) {
	_, done := eligo.StoreCall(context.Background(), time.Hour, func(error) bool { return false })
	err := fmt.Errorf("sqlite: begin: %w", context.DeadlineExceeded)
	done(&err)
	require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "error: %v", err)

	// The caller's own end is not the store's fault: it stays as it was.
	parent, cancel := context.WithCancel(context.Background())
	_, done = eligo.StoreCall(parent, time.Hour, func(error) bool { return false })
	cancel()
	err = fmt.Errorf("sqlite: begin: %w", context.Canceled)
	done(&err)
	require.True(t, errors.Is(err, context.Canceled))
	require.Equal(t, eligo.EINTERNAL, eligo.ErrorCode(err))
}
