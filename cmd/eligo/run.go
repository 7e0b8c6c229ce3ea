package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

const usage = `eligo answers "may this customer still do X with this order, right now?"

Usage:
  eligo serve    run the API and the job workers on the embedded store (no servers needed)
  eligo worker   run the job workers only (payment re-checks, outbound events, webhooks)
  eligo demo     run the API and a simulated fulfillment on a compressed clock
  eligo load     play the article's traffic against a running server and check every answer
  eligo token    mint credentials: eligo token customer --customer ID --ttl 1h; eligo token new
  eligo order    show an order as a running server has it: eligo order get|versions|eligibility ID
  eligo policy   test, check, explain and apply policy files: eligo policy test|check|explain|apply FILE
  eligo migrate  apply the schema migrations of the store (PostgreSQL: --postgres-url)
  eligo dev kafka  DEVELOPMENT ONLY: an in-memory Kafka (kfake) on 127.0.0.1:9092
  eligo version  print the build version

Run "eligo <command> -h" for a command's flags.
`

// run is the whole program behind main: signals, flags and environment are
// read here, so tests drive the real binary path.
//
// -h prints a command's help and returns nil; a mistake in the command
// line or the environment is a *usageError (exitStatus: 2).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return &usageError{err: errors.New("no command given")}
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "worker":
		return runWorker(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, getenv, stdout, stderr)
	case "load":
		return runLoad(ctx, rest, getenv, stdout, stderr)
	case "token":
		return runToken(rest, getenv, stdout, stderr)
	case "order":
		return runOrder(ctx, rest, getenv, stdout)
	case "policy":
		return runPolicy(ctx, rest, getenv, stdout)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "dev":
		return runDev(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return &usageError{err: fmt.Errorf("unknown command %q", cmd)}
}
