package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/MicahParks/jwkset"

	"github.com/eligo/eligo"
)

// outageError is a fetch that failed because the provider is unreachable
// or failing, not because the configuration is wrong.
type outageError struct{ err error }

func (e *outageError) Error() string { return e.err.Error() }
func (e *outageError) Unwrap() error { return e.err }

// fetch gets and parses the set at URL. Its errors name the URL and what
// failed; an *outageError is one that retrying may cure.
func (k *KeySet) fetch(ctx context.Context) ([]verifyKey, error) {
	ctx, cancel := context.WithTimeout(ctx, KeyFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, eligo.Errorf(eligo.EINVALID, "customer JWKS %s: %v", k.url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		var verr *tls.CertificateVerificationError
		var uerr x509.UnknownAuthorityError
		var herr x509.HostnameError
		if errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) {
			return nil, eligo.Errorf(eligo.EINVALID, "customer JWKS %s: its TLS certificate does not verify (%v); for a private CA, add it to SSL_CERT_FILE", k.url, err)
		}
		return nil, &outageError{fmt.Errorf("customer JWKS %s: %w", k.url, err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, &outageError{fmt.Errorf("customer JWKS %s answered %s", k.url, resp.Status)}
	case resp.StatusCode != http.StatusOK:
		return nil, eligo.Errorf(eligo.EINVALID, "customer JWKS %s answered %s; check --customer-jwks-url", k.url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxKeySetBytes+1))
	if err != nil {
		return nil, &outageError{fmt.Errorf("customer JWKS %s: reading the answer: %w", k.url, err)}
	}
	if len(data) > maxKeySetBytes {
		return nil, eligo.Errorf(eligo.EINVALID, "customer JWKS %s is larger than %d bytes", k.url, maxKeySetBytes)
	}
	keys, err := parseKeySet(data)
	if err != nil {
		return nil, eligo.Errorf(eligo.EINVALID, "customer JWKS %s %v", k.url, err)
	}
	return keys, nil
}

// parseKeySet returns the keys of a JWK Set that can verify signatures:
// RSA, EC (P-256, P-384, P-521) and Ed25519 public keys whose use is not
// "enc". Others (symmetric keys, encryption keys, curves it does not
// know) are skipped; a set with none is an error, which reads after the
// set's name ("... holds no key ...").
func parseKeySet(data []byte) ([]verifyKey, error) {
	var set jwkset.JWKSMarshal
	if err := json.Unmarshal(data, &set); err != nil || set.Keys == nil {
		return nil, errors.New(`is not a JWK Set: expected JSON such as {"keys":[{"kty":"RSA","kid":"...","n":"...","e":"AQAB"}]}`)
	}
	var keys []verifyKey
	var skipped []string
	for _, m := range set.Keys {
		if m.USE == jwkset.UseEnc {
			continue
		}
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%q (%v)", m.KID, err))
			continue
		}
		switch jwk.Key().(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			keys = append(keys, verifyKey{kid: m.KID, alg: string(m.ALG), key: jwk.Key()})
		default:
			skipped = append(skipped, fmt.Sprintf("%q (kty %s cannot verify signatures)", m.KID, m.KTY))
		}
	}
	if len(keys) == 0 {
		msg := "holds no key that can verify tokens (RSA, EC or Ed25519, use \"sig\")"
		if len(skipped) > 0 {
			msg += "; skipped " + strings.Join(skipped, ", ")
		}
		return nil, errors.New(msg)
	}
	return keys, nil
}

// fits reports whether a token signed with alg may be verified with v: the
// JWK's alg when it names one, else the algorithms of its key type (and
// curve).
func (v verifyKey) fits(alg string) bool {
	if v.alg != "" {
		return v.alg == alg
	}
	switch k := v.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return alg == "ES256"
		case elliptic.P384():
			return alg == "ES384"
		case elliptic.P521():
			return alg == "ES512"
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}
