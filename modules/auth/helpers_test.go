package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/config"
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

// forge HMAC-signs header and payload exactly as written, so a test can send
// JSON that no encoder would produce: duplicate names, odd case, bad UTF-8.
func forge(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	signed := enc([]byte(header)) + "." + enc([]byte(payload))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signed))
	return signed + "." + enc(mac.Sum(nil))
}

// hsHeader is the header jwt writes for HS256.
const hsHeader = `{"alg":"HS256","typ":"JWT"}`

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
