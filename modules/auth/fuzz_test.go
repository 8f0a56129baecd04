package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify feeds arbitrary strings to JWT.Verify: it never panics, only
// ever returns one of the three Err values, and accepts a token only when an
// independent check finds it genuinely valid (HS256 header, HMAC matching
// the secret, non-empty string sub, exp in the future).
func FuzzVerify(f *testing.F) {
	f.Add(hs256(f, jwt.MapClaims{"sub": "u1", "exp": at(24 * time.Hour)}))
	f.Add(hs256(f, jwt.MapClaims{"sub": "u1", "exp": at(-time.Hour)}))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("garbage")
	v := verifier("HS256")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token)
		switch err {
		case nil:
			if !genuinelyValid(token, c.Subject) {
				t.Fatalf("accepted %q as %+v, but it is not a valid HS256 token for the secret", token, c)
			}
		case ErrTokenMissing:
			if token != "" {
				t.Fatalf("ErrTokenMissing for a non-empty token %q", token)
			}
		case ErrTokenInvalid, ErrTokenExpired:
			if token == "" {
				t.Fatalf("%v for the empty token, want %v", err, ErrTokenMissing)
			}
		default:
			t.Fatalf("Verify(%q) returned %v, not one of the Err values", token, err)
		}
		if err != nil && !reflect.DeepEqual(c, Claims{}) {
			t.Fatalf("claims %+v returned with error %v", c, err)
		}
	})
}

func genuinelyValid(token, subject string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	var header struct{ Alg string }
	var payload struct {
		Sub any
		Exp *float64
	}
	if !decodeJSON(parts[0], &header) || header.Alg != "HS256" || !decodeJSON(parts[1], &payload) {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return false
	}
	sub, ok := payload.Sub.(string)
	return ok && sub != "" && sub == subject &&
		(payload.Exp == nil || time.Unix(int64(*payload.Exp), 0).After(time.Now()))
}

func decodeJSON(seg string, into any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, into) == nil
}

func TestTokenFrom(t *testing.T) {
	tests := []struct{ query, auth, want string }{
		{"q", "", "q"},
		{"q", "Bearer h", "q"},
		{"", "Bearer h", "h"},
		{"", "bearer  h ", "h"},
		{"", "Basic h", ""},
		{"", "Bearer", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := TokenFrom(tt.query, tt.auth); got != tt.want {
			t.Errorf("TokenFrom(%q, %q) = %q, want %q", tt.query, tt.auth, got, tt.want)
		}
	}
}

// FuzzTokenFrom: never panics, and the token is always a part of the input.
func FuzzTokenFrom(f *testing.F) {
	f.Add("", "Bearer abc")
	f.Add("abc", "Bearer def")
	f.Add("", "Basic dTpw")
	f.Add("", "Bearer \t x \n")
	f.Fuzz(func(t *testing.T, query, auth string) {
		got := TokenFrom(query, auth)
		if got != "" && !strings.Contains(query+auth, got) {
			t.Fatalf("TokenFrom(%q, %q) = %q, not part of the input", query, auth, got)
		}
		if query != "" && got != query {
			t.Fatalf("query token not preferred: %q", got)
		}
	})
}
