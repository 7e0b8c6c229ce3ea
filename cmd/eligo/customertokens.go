package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// customerTokenConfig is how the API takes customer tokens from an
// identity provider (Auth0, Keycloak, Cognito, Firebase): its JWK Set, and
// the claims its tokens must carry. The HS256 secret works beside it.
type customerTokenConfig struct {
	JWKSURL     string
	JWKSFile    string
	JWKSRefresh time.Duration
	Issuer      string
	Audience    string
	IDClaim     string
	Leeway      time.Duration
}

// flags declares the customer token flags of the API into c.
func (c *customerTokenConfig) flags(f *flagSet) {
	f.String(&c.JWKSURL, "customer-jwks-url", "", "JWK Set URL of the identity provider whose RS256, PS256, ES256, EdDSA (and the like) tokens are customer tokens, such as https://TENANT.auth0.com/.well-known/jwks.json; fetched at start, refreshed")
	f.String(&c.JWKSFile, "customer-jwks-file", "", "a JWK Set file of the identity provider's public keys, read at start; beside or instead of --customer-jwks-url")
	f.Duration(&c.JWKSRefresh, "customer-jwks-refresh", auth.DefaultKeyRefresh, auth.MinKeyRefresh, "how often --customer-jwks-url is fetched again; a token naming an unknown key fetches it too, at most once a minute")
	f.String(&c.Issuer, "customer-token-issuer", "", "the iss every identity provider token must carry, exactly, such as https://TENANT.auth0.com/; empty: not checked")
	f.String(&c.Audience, "customer-token-audience", "", "a value the aud of every identity provider token must include, such as the API identifier; empty: not checked")
	f.String(&c.IDClaim, "customer-id-claim", "sub", "the claim of identity provider tokens that holds the customer id, such as https://example.com/customer_id")
	f.Duration(&c.Leeway, "customer-token-leeway", 30*time.Second, 0, "clock skew allowed on every customer token's exp and nbf, at most 5m")
}

// check refuses settings that cannot work: a leeway over auth.MaxLeeway,
// and claims of identity provider tokens without a provider.
func (c *customerTokenConfig) check() error {
	if c.Leeway > auth.MaxLeeway {
		return fmt.Errorf("--customer-token-leeway %s: at most %s; a larger skew is a clock to fix", c.Leeway, auth.MaxLeeway)
	}
	if c.JWKSURL != "" || c.JWKSFile != "" {
		return nil
	}
	for _, s := range []struct{ flag, value, unset string }{
		{"customer-token-issuer", c.Issuer, ""},
		{"customer-token-audience", c.Audience, ""},
		{"customer-id-claim", c.IDClaim, "sub"},
	} {
		if s.value != s.unset {
			return fmt.Errorf("--%s applies to identity provider tokens: set --customer-jwks-url or --customer-jwks-file too", s.flag)
		}
	}
	return nil
}

// keySet returns the identity provider's keys, fetched (nil when none is
// configured). A configuration mistake fails; a provider that does not
// answer does not (auth.NewKeySet).
func (c *customerTokenConfig) keySet(ctx context.Context, log *slog.Logger) (*auth.KeySet, error) {
	if c.JWKSURL == "" && c.JWKSFile == "" {
		return nil, nil
	}
	keys, err := auth.NewKeySet(ctx, auth.KeySetConfig{URL: c.JWKSURL, File: c.JWKSFile, RefreshInterval: c.JWKSRefresh, Logger: log})
	if err != nil {
		return nil, errors.New("customer tokens: " + eligo.ErrorMessage(err))
	}
	if c.Issuer == "" && c.Audience == "" {
		log.Warn("customer tokens from the identity provider are checked for neither issuer nor audience: any token its keys sign is taken, also one for another application or tenant that shares them; set --customer-token-issuer and --customer-token-audience")
	}
	return keys, nil
}

// authConfig returns the configuration of the API's authenticator.
func (c *customerTokenConfig) authConfig(sec secrets, maxTTL time.Duration, keys *auth.KeySet) auth.Config {
	signing, retired := sec.customerSecrets()
	return auth.Config{
		ServiceTokens:          sec.ServiceTokens,
		CustomerSecret:         signing,
		RetiredCustomerSecrets: retired,
		Keys:                   keys,
		Issuer:                 c.Issuer,
		Audience:               c.Audience,
		CustomerIDClaim:        c.IDClaim,
		Leeway:                 c.Leeway,
		MaxCustomerTokenTTL:    maxTTL,
	}
}
