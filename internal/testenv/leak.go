package testenv

import (
	"testing"

	"go.uber.org/goleak"
)

// VerifyNoLeaks runs the package's tests (call it from TestMain) and then
// fails the run if goroutines other than the runtime's and the testing
// package's are still running: a hub, consumer, worker or pool that a test
// did not stop. ignore lists what a package must tolerate, each with the
// reason at the call site.
func VerifyNoLeaks(m *testing.M, ignore ...goleak.Option) {
	goleak.VerifyTestMain(m, ignore...)
}
