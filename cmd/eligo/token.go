package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// runToken mints credentials from the configured secrets.
func runToken(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "customer" && args[0] != "service" && args[0] != "new") {
		return &usageError{"token customer", errors.New(`token: expected "eligo token customer --customer ID [--ttl 1h]", "eligo token service" or "eligo token new"`)}
	}
	kind := args[0]
	if kind == "new" {
		return runTokenNew(args[1:], getenv, stdout)
	}
	var tc tokenConfig
	f := newFlagSet("token " + kind)
	tc.flags(f)
	if err := f.parse(args[1:], getenv, stdout, tokenAbout); err != nil {
		return err
	}
	dataDir, customer, ttl := &tc.DataDir, &tc.Customer, &tc.TTL
	if kind == "customer" && *customer == "" {
		return &usageError{"token customer", errors.New("token customer: --customer is required")}
	}
	s, err := readSecrets(getenv, *dataDir)
	if err != nil {
		return err
	}
	if kind == "service" {
		if len(s.ServiceTokens) == 0 {
			return missingSecretError("token", "service token", "ELIGO_SERVICE_TOKENS", *dataDir)
		}
		fmt.Fprintln(stdout, s.ServiceTokens[0])
		return nil
	}
	if s.CustomerSecret == "" {
		return missingSecretError("token", "customer token secret", "ELIGO_CUSTOMER_TOKEN_SECRET", *dataDir)
	}
	if err := auth.CheckLifetime(*ttl, tc.MaxTTL); err != nil {
		return fmt.Errorf("token customer: --ttl: %s", eligo.ErrorMessage(err))
	}
	tok, err := auth.MintCustomerToken(s.signingSecret(), *customer, *ttl, time.Now())
	if err != nil {
		return fmt.Errorf("token customer: %s", eligo.ErrorMessage(err))
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// runTokenNew prints a new random service token and customer token
// secret, as the variables serve reads: the credentials of a new
// deployment. It writes nothing.
func runTokenNew(args []string, getenv func(string) string, stdout io.Writer) error {
	if err := newFlagSet("token new").parse(args, getenv, stdout, tokenNewAbout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ELIGO_SERVICE_TOKENS=%s\nELIGO_CUSTOMER_TOKEN_SECRET=%s\n", newServiceToken(), newCustomerSecret())
	return nil
}

// tokenNewAbout is the help of `eligo token new`.
const tokenNewAbout = `Print a new random service token and customer token secret, as the
variables serve and worker read (ELIGO_SERVICE_TOKENS=..., ELIGO_CUSTOMER_TOKEN_SECRET=...),
for a deployment's secret store. Give every replica the same ones. It writes nothing.`

// tokenAbout is the help of `eligo token`.
const tokenAbout = `Mint credentials from the secrets a server checks: ELIGO_SERVICE_TOKENS and
ELIGO_CUSTOMER_TOKEN_SECRET, else the secrets.json in --data-dir (point it
at the running server's data directory). It never creates secrets: without
them it fails and says where it looked.
"eligo token customer --customer ID [--ttl 1h]" or "eligo token service";
"eligo token new" prints new random credentials.`

// tokenConfig is the configuration of `eligo token`.
type tokenConfig struct {
	DataDir  string
	Customer string
	TTL      time.Duration
	MaxTTL   time.Duration // the longest lifetime serve accepts
}

// flags declares the flags of `eligo token` into c.
func (c *tokenConfig) flags(f *flagSet) {
	f.String(&c.DataDir, "data-dir", defaultDataDir, "the running server's data directory, whose secrets.json is read when the environment sets no secrets")
	f.Duration(&c.MaxTTL, "customer-token-max-ttl", auth.DefaultMaxCustomerTokenTTL, time.Second, "longest customer token lifetime serve accepts; a longer --ttl is refused")
	t := f.scoped("ELIGO_TOKEN_")
	t.String(&c.Customer, "customer", "", "customer id, the token's subject (customer tokens)")
	t.Duration(&c.TTL, "ttl", time.Hour, time.Second, "how long the token is valid (customer tokens)")
}
