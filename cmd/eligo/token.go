package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// customerTokenMaxTTLFlag declares --customer-token-max-ttl, the longest
// customer token lifetime that serve accepts and that token customer mints.
func customerTokenMaxTTLFlag(fs *flag.FlagSet, p *time.Duration) {
	fs.DurationVar(p, "customer-token-max-ttl", auth.DefaultMaxCustomerTokenTTL, "longest customer token lifetime accepted (exp - iat, or exp - now without iat); longer-lived tokens are refused (env ELIGO_CUSTOMER_TOKEN_MAX_TTL)")
}

// customerTokenEnvFlags is customerTokenMaxTTLFlag's variable, for
// flagsFromEnv.
var customerTokenEnvFlags = map[string]string{"customer-token-max-ttl": "ELIGO_CUSTOMER_TOKEN_MAX_TTL"}

// runToken mints credentials from the configured secrets.
func runToken(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "customer" && args[0] != "service") {
		return errors.New(`token: expected "eligo token customer --customer ID [--ttl 1h]" or "eligo token service"`)
	}
	kind := args[0]
	fs := flag.NewFlagSet("token "+kind, flag.ContinueOnError)
	dataDir := fs.String("data-dir", envOr(getenv, "ELIGO_DATA_DIR", defaultDataDir), "data directory holding generated secrets (env ELIGO_DATA_DIR)")
	customer := fs.String("customer", "", "customer id, the token's subject (customer tokens)")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid (customer tokens)")
	var maxTTL time.Duration
	customerTokenMaxTTLFlag(fs, &maxTTL)
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	if err := flagsFromEnv(fs, getenv, customerTokenEnvFlags); err != nil {
		return err
	}
	s, err := loadSecrets(getenv, *dataDir)
	if err != nil {
		return err
	}
	if kind == "service" {
		fmt.Fprintln(stdout, s.ServiceTokens[0])
		return nil
	}
	if *customer == "" {
		return errors.New("token customer: --customer is required")
	}
	if err := auth.CheckLifetime(*ttl, maxTTL); err != nil {
		return fmt.Errorf("token customer: --ttl: %s", eligo.ErrorMessage(err))
	}
	tok, err := auth.MintCustomerToken([]byte(s.CustomerSecret), *customer, *ttl, time.Now())
	if err != nil {
		return fmt.Errorf("token customer: %s", eligo.ErrorMessage(err))
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
