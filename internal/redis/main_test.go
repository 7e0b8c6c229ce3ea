package redis_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/eligo/eligo/internal/testenv"
)

// TestMain fails the run when a test leaves goroutines behind. It
// tolerates one of rueidis's: a cluster client (which rueidis.NewClient
// tries first, even for one address) whose connection closes, as it does
// when a connection is refused for its credentials or its TLS, refreshes
// its slot map after a random delay of up to a second, in a goroutine that
// then ends by itself, closed client or not.
func TestMain(m *testing.M) {
	testenv.VerifyNoLeaks(m, goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*call).DelayDo.func1"))
}
