// Command eligo runs the eligibility service: `eligo serve` for the API and
// the job workers, `eligo worker` for the workers alone, `eligo demo` for
// the whole story on a compressed clock, `eligo load` to play traffic
// against a server, `eligo token` to mint credentials, `eligo order` and
// `eligo policy` for operators (an order as the server has it; policy test
// files, check, explain and apply), `eligo migrate`, `eligo dev kafka` and
// `eligo version`.
//
// Every command reads its configuration once, the same way (config.go):
// flags, each with its ELIGO_* variable. serve and worker are built on the
// same dependencies (deps.go).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	warnUnknownVariables(os.Stderr, os.Environ())
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}

// signalContext returns a context that SIGINT or SIGTERM ends, with the
// signal as its cause (for the "stopped" log line). After the first, the
// signals are no longer caught: a second one ends the process at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			cancel(fmt.Errorf("received %v", s))
		case <-ctx.Done():
		}
		signal.Stop(sigs)
	}()
	return ctx, func() { cancel(context.Canceled) }
}
