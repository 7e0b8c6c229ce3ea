// Command eligo runs the eligibility service: `eligo serve` for the API,
// `eligo demo` for the whole story on a compressed clock, `eligo token` to
// mint credentials and `eligo version`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	warnUnknownVariables(os.Stderr, os.Environ())
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}
