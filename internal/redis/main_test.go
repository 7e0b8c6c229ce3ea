package redis_test

import (
	"testing"

	"github.com/eligo/eligo/internal/testenv"
)

// TestMain fails the run when a test leaves goroutines behind.
func TestMain(m *testing.M) {
	testenv.VerifyNoLeaks(m)
}
