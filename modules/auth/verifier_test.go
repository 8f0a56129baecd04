package auth

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"rt/config"
)

func TestVerifyHS256(t *testing.T) {
	v := verifier("HS256")
	exp := at(time.Hour)
	tests := []struct {
		name    string
		token   string
		want    error
		sub     string
		expires int64 // Unix seconds of Claims.ExpiresAt, 0 for none
	}{
		{"valid without exp", hs256(t, jwt.MapClaims{"sub": "u1"}), nil, "u1", 0},
		{"valid with exp", hs256(t, jwt.MapClaims{"sub": "u1", "exp": exp}), nil, "u1", exp},
		{"valid with past iat and nbf, extra claims", hs256(t, jwt.MapClaims{
			"sub": "u2", "iat": at(-time.Minute), "nbf": at(-time.Minute), "role": "admin", "aud": "x"}), nil, "u2", 0},
		{"expired", hs256(t, jwt.MapClaims{"sub": "u1", "exp": at(-time.Minute)}), ErrTokenExpired, "", 0},
		{"expired and wrong secret", sign(t, jwt.SigningMethodHS256, []byte("other"),
			jwt.MapClaims{"sub": "u1", "exp": at(-time.Minute)}), ErrTokenInvalid, "", 0},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("other"), jwt.MapClaims{"sub": "u1"}), ErrTokenInvalid, "", 0},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType,
			jwt.MapClaims{"sub": "u1"}), ErrTokenInvalid, "", 0},
		{"HS384 with the right secret", sign(t, jwt.SigningMethodHS384, []byte(secret),
			jwt.MapClaims{"sub": "u1"}), ErrTokenInvalid, "", 0},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaPrivateKey(t), jwt.MapClaims{"sub": "u1"}), ErrTokenInvalid, "", 0},
		{"missing sub", hs256(t, jwt.MapClaims{"exp": exp}), ErrTokenInvalid, "", 0},
		{"numeric sub", hs256(t, jwt.MapClaims{"sub": 42}), ErrTokenInvalid, "", 0},
		{"empty sub", hs256(t, jwt.MapClaims{"sub": ""}), ErrTokenInvalid, "", 0},
		{"null sub", hs256(t, jwt.MapClaims{"sub": nil}), ErrTokenInvalid, "", 0},
		{"nbf in the future", hs256(t, jwt.MapClaims{"sub": "u1", "nbf": at(time.Hour)}), ErrTokenInvalid, "", 0},
		{"iat in the future", hs256(t, jwt.MapClaims{"sub": "u1", "iat": at(time.Hour)}), ErrTokenInvalid, "", 0},
		{"exp not a number", hs256(t, jwt.MapClaims{"sub": "u1", "exp": "tomorrow"}), ErrTokenInvalid, "", 0},
		{"malformed", "not-a-jwt", ErrTokenInvalid, "", 0},
		{"three garbage parts", "a.b.c", ErrTokenInvalid, "", 0},
		{"signature removed", strings.TrimRight(hs256(t, jwt.MapClaims{"sub": "u1"}), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), ErrTokenInvalid, "", 0},
		{"payload swapped", swapPayload(t, hs256(t, jwt.MapClaims{"sub": "u1"}), `{"sub":"admin"}`), ErrTokenInvalid, "", 0},
		{"Bearer prefix left in", "Bearer " + hs256(t, jwt.MapClaims{"sub": "u1"}), ErrTokenInvalid, "", 0},
		{"empty", "", ErrTokenMissing, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(tt.token)
			if err != tt.want {
				t.Fatalf("Verify = %+v, %v; want error %v", c, err, tt.want)
			}
			if err != nil {
				if !reflect.DeepEqual(c, Claims{}) {
					t.Errorf("claims %+v returned with error %v", c, err)
				}
				return
			}
			if c.Subject != tt.sub {
				t.Errorf("Subject = %q, want %q", c.Subject, tt.sub)
			}
			switch {
			case tt.expires == 0 && !c.ExpiresAt.IsZero():
				t.Errorf("ExpiresAt = %v for a token without exp, want zero", c.ExpiresAt)
			case tt.expires != 0 && c.ExpiresAt.Unix() != tt.expires:
				t.Errorf("ExpiresAt = %v, want Unix %d", c.ExpiresAt, tt.expires)
			}
		})
	}
}

// swapPayload replaces a token's payload and keeps its header and signature.
func swapPayload(t *testing.T, token, payload string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", token)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(payload))
	return strings.Join(parts, ".")
}

func TestVerifyOtherHMACAlgorithms(t *testing.T) {
	methods := map[string]jwt.SigningMethod{
		"HS256": jwt.SigningMethodHS256, "HS384": jwt.SigningMethodHS384, "HS512": jwt.SigningMethodHS512,
	}
	for _, configured := range []string{"HS384", "HS512"} {
		v := verifier(configured)
		for alg, method := range methods {
			tok := sign(t, method, []byte(secret), jwt.MapClaims{"sub": "u1", "exp": at(time.Hour)})
			c, err := v.Verify(tok)
			switch {
			case alg == configured && (err != nil || c.Subject != "u1"):
				t.Errorf("%s configured, %s token: %+v, %v; want accepted as u1", configured, alg, c, err)
			case alg != configured && err != ErrTokenInvalid:
				t.Errorf("%s configured, %s token: %+v, %v; want %v", configured, alg, c, err, ErrTokenInvalid)
			}
		}
		expired := sign(t, methods[configured], []byte(secret), jwt.MapClaims{"sub": "u1", "exp": at(-time.Hour)})
		if _, err := v.Verify(expired); err != ErrTokenExpired {
			t.Errorf("%s configured, expired token: %v, want %v", configured, err, ErrTokenExpired)
		}
		if _, err := v.Verify(""); err != ErrTokenMissing {
			t.Errorf("%s configured, empty token: %v, want %v", configured, err, ErrTokenMissing)
		}
	}
}

func TestVerifyRequireExp(t *testing.T) {
	v := mustJWT(config.Config{JWTSecret: secret, JWTAlg: "HS256", JWTRequireExp: true})
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"without exp", hs256(t, jwt.MapClaims{"sub": "u1"}), ErrTokenInvalid},
		{"with exp", hs256(t, jwt.MapClaims{"sub": "u1", "exp": at(time.Hour)}), nil},
		{"expired", hs256(t, jwt.MapClaims{"sub": "u1", "exp": at(-time.Hour)}), ErrTokenExpired},
	}
	for _, tt := range tests {
		if _, err := v.Verify(tt.token); err != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
