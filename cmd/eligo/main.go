// Command eligo runs the eligibility service: `eligo serve` for the API and
// the job workers, `eligo worker` for the workers alone, `eligo demo` for
// the whole story on a compressed clock, `eligo load` to play traffic
// against a server, `eligo token` to mint credentials, `eligo migrate`,
// `eligo dev kafka` and `eligo version`.
//
// Every command reads its configuration once, the same way (config.go):
// flags, each with its ELIGO_* variable. serve and worker are built on the
// same dependencies (deps.go).
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
