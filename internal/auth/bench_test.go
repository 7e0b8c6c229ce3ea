package auth_test

import (
	"testing"
	"time"

	"github.com/eligo/eligo/internal/auth"
)

// BenchmarkVerify measures a customer token's verification: HS256 and an
// identity provider's RS256 and ES256 tokens, found in the cache of
// verified tokens (the hot path of a customer polling eligibility), and
// an RS256 token verified afresh each time (a new token, or the cache
// dropped).
func BenchmarkVerify(b *testing.B) {
	clock := &fakeClock{t: now}
	p := newProvider(b, key("rsa"), key("es256"))
	keys, err := auth.NewKeySet(b.Context(), auth.KeySetConfig{URL: p.URL, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	a, err := auth.New(auth.Config{CustomerSecret: secret, Keys: keys, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	hs, err := auth.MintCustomerToken(secret, "cust-1", time.Hour, now)
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name  string
		token string
	}{
		{"hs256-cached", hs},
		{"rs256-cached", signBy(b, key("rsa"), idpClaims())},
		{"es256-cached", signBy(b, key("es256"), idpClaims())},
	} {
		b.Run(bb.name, func(b *testing.B) {
			if _, err := a.Verify(bb.token); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				a.Verify(bb.token)
			}
		})
	}
	b.Run("rs256-uncached", func(b *testing.B) {
		fresh, err := auth.New(auth.Config{Keys: keys, Now: clock.Now})
		if err != nil {
			b.Fatal(err)
		}
		tokens := make([]string, 256)
		for i := range tokens {
			c := idpClaims()
			c["jti"] = i
			tokens[i] = signBy(b, key("rsa"), c)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			fresh.Verify(tokens[i%len(tokens)])
			i++
			if i%len(tokens) == 0 {
				fresh, _ = auth.New(auth.Config{Keys: keys, Now: clock.Now})
			}
		}
	})
}
