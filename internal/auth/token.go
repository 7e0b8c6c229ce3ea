package auth

import (
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/eligo/eligo"
)

// Issuer is the iss claim of the customer tokens eligo mints. It is not
// required of tokens minted elsewhere with the same secret.
const Issuer = "eligo"

// MintCustomerToken returns an HS256 customer token for customerID, issued at
// now and valid for ttl. It is what `eligo token customer` prints. It
// refuses a customer id the API would refuse; whether a server accepts ttl
// is CheckLifetime's answer.
func MintCustomerToken(secret []byte, customerID string, ttl time.Duration, now time.Time) (string, error) {
	if len(secret) < MinSecretLen {
		return "", eligo.Errorf(eligo.EINVALID, "the customer token secret is %d bytes long; HS256 needs at least %d", len(secret), MinSecretLen)
	}
	// A token for an id the API refuses could never own an order.
	if err := eligo.ValidateID("customer_id", customerID); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", eligo.Errorf(eligo.EINVALID, "the token lifetime must be positive, such as 1h; got %s", ttl)
	}
	claims := jwt.RegisteredClaims{
		Issuer:    Issuer,
		Subject:   customerID,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}
