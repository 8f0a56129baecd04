package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/config"
)

func publicPEM(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestAsymmetricAlgorithms(t *testing.T) {
	rsaKey := rsaPrivateKey(t)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		alg    string
		method jwt.SigningMethod
		priv   any
		pub    crypto.PublicKey
	}{
		{"RS256", jwt.SigningMethodRS256, rsaKey, &rsaKey.PublicKey},
		{"RS512", jwt.SigningMethodRS512, rsaKey, &rsaKey.PublicKey},
		{"PS256", jwt.SigningMethodPS256, rsaKey, &rsaKey.PublicKey},
		{"ES256", jwt.SigningMethodES256, ecKey, &ecKey.PublicKey},
		{"EdDSA", jwt.SigningMethodEdDSA, edKey, edPub},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			pubPEM := publicPEM(t, tt.pub)
			v := mustJWT(config.Config{JWTAlg: tt.alg, JWTPublicKey: pubPEM, JWTSecret: secret})
			if c, err := v.Verify(sign(t, tt.method, tt.priv, jwt.MapClaims{"sub": "u1"})); err != nil || c.Subject != "u1" {
				t.Fatalf("valid %s token: %+v, %v", tt.alg, c, err)
			}
			// Key confusion: an HS256 token whose HMAC key is the public PEM.
			forged := sign(t, jwt.SigningMethodHS256, []byte(pubPEM), jwt.MapClaims{"sub": "admin"})
			if _, err := v.Verify(forged); err != ErrTokenInvalid {
				t.Fatalf("HS256 token keyed with the public key: %v, want ErrTokenInvalid", err)
			}
			if _, err := v.Verify(hs256(t, jwt.MapClaims{"sub": "u1"})); err != ErrTokenInvalid {
				t.Fatalf("HS256 token with the secret: %v, want ErrTokenInvalid", err)
			}
		})
	}
}

func TestPublicKeyOfTheWrongKind(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, err := NewJWT(config.Config{JWTAlg: "RS256", JWTPublicKey: publicPEM(t, &ecKey.PublicKey)})
	if err == nil {
		t.Fatal("an EC key was accepted for RS256")
	}
}

func TestIssuerAudienceLeeway(t *testing.T) {
	v := mustJWT(config.Config{JWTSecret: secret, JWTAlg: "HS256", JWTIssuer: "auth.example", JWTAudience: "github.com/rtserver/rt", JWTLeeway: time.Minute})
	tests := []struct {
		name   string
		claims jwt.MapClaims
		want   error
	}{
		{"matching", jwt.MapClaims{"iss": "auth.example", "aud": "github.com/rtserver/rt"}, nil},
		{"audience among several", jwt.MapClaims{"iss": "auth.example", "aud": []string{"x", "github.com/rtserver/rt"}}, nil},
		{"other issuer", jwt.MapClaims{"iss": "evil", "aud": "github.com/rtserver/rt"}, ErrTokenInvalid},
		{"no issuer", jwt.MapClaims{"aud": "github.com/rtserver/rt"}, ErrTokenInvalid},
		{"other audience", jwt.MapClaims{"iss": "auth.example", "aud": "x"}, ErrTokenInvalid},
		{"expired within leeway", jwt.MapClaims{"iss": "auth.example", "aud": "github.com/rtserver/rt", "exp": at(-30 * time.Second)}, nil},
		{"expired beyond leeway", jwt.MapClaims{"iss": "auth.example", "aud": "github.com/rtserver/rt", "exp": at(-2 * time.Minute)}, ErrTokenExpired},
	}
	for _, tt := range tests {
		tt.claims["sub"] = "u1"
		if _, err := v.Verify(hs256(t, tt.claims)); err != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
