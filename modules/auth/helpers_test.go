package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"rt/config"
)

const secret = "test-secret-that-is-long-enough-for-hs512-keys-0123456789abcdef"

func verifier(alg string) *JWT { return mustJWT(config.Config{JWTSecret: secret, JWTAlg: alg}) }

func mustJWT(cfg config.Config) *JWT {
	v, err := NewJWT(cfg)
	if err != nil {
		panic(err)
	}
	return v
}

// sign returns a token signed with method and key; claims go in as given.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

func hs256(t testing.TB, claims jwt.MapClaims) string {
	return sign(t, jwt.SigningMethodHS256, []byte(secret), claims)
}

func at(d time.Duration) int64 { return time.Now().Add(d).Unix() }

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func rsaPrivateKey(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}
