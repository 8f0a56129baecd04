package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify feeds arbitrary strings to JWT.Verify: it never panics, only
// ever returns one of the three Err values, and accepts a token only when an
// independent check finds it genuinely valid (HS256 header without crit,
// HMAC matching the secret, UTF-8 segments, claims read by exact name: sub
// a short printable string, times JSON numbers with exp in the future, rooms
// absent or a list of strings, the token no longer than MaxTokenBytes). An
// accepted exp is within 1970 to 9999, so its Unix milliseconds never
// overflow. The seeds in testdata/fuzz/FuzzVerify
// are hand-signed tokens with odd JSON: duplicate and case-variant names,
// null rooms, string times, control characters in sub.
func FuzzVerify(f *testing.F) {
	f.Add(hs256(f, jwt.MapClaims{"sub": "u1", "exp": at(24 * time.Hour)}))
	f.Add(hs256(f, jwt.MapClaims{"sub": "u1", "exp": at(-time.Hour)}))
	f.Add(forge(hsHeader, fmt.Sprintf(`{"sub":"u1","exp":%d,"EXP":%d}`, at(-time.Hour), at(time.Hour))))
	f.Add(forge(hsHeader, fmt.Sprintf(`{"sub":"u1","exp":%d,"exp":%d}`, at(-time.Hour), at(time.Hour))))
	f.Add(forge(hsHeader, fmt.Sprintf(`{"sub":"u1","exp":"%d"}`, at(time.Hour))))
	f.Add(forge(hsHeader, `{"sub":"u1","exp":9.2e18}`))
	f.Add(forge(hsHeader, `{"sub":"u1","nbf":1e19,"iat":1e300}`))
	f.Add(forge(hsHeader, `{"sub":"u1","exp":253402300799.5}`))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("garbage")
	v := verifier("HS256")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token)
		switch err {
		case nil:
			if !genuinelyValid(token, c) {
				t.Fatalf("accepted %q as %+v, but it is not a valid HS256 token for the secret", token, c)
			}
			if !expiryInRange(c.ExpiresAt) {
				t.Fatalf("accepted %q with ExpiresAt %v, outside 1970 to 9999", token, c.ExpiresAt)
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

// expiryInRange: no exp, or one whose Unix milliseconds are exact, so
// auth.refreshed can report it.
func expiryInRange(exp time.Time) bool {
	if exp.IsZero() {
		return true
	}
	s := exp.Unix()
	return s >= 0 && s <= lastNumericDate && exp.UnixMilli()/1000 == s
}

func genuinelyValid(token string, c Claims) bool {
	parts := strings.Split(token, ".")
	if len(token) > MaxTokenBytes || len(parts) != 3 {
		return false
	}
	var header, payload map[string]any // maps: names match exactly
	if !decodeJSON(parts[0], &header) || header["alg"] != "HS256" || header["crit"] != nil ||
		!decodeJSON(parts[1], &payload) {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return false
	}
	sub, ok := payload["sub"].(string)
	return ok && printableSubject(sub) && sub == c.Subject &&
		timesAreNumbers(payload) && roomsMatch(payload, c.Rooms) &&
		(payload["exp"] == nil || time.Unix(int64(payload["exp"].(float64)), 0).After(time.Now()))
}

// decodeJSON also needs valid UTF-8 and unique names, which encoding/json
// alone would not check.
func decodeJSON(seg string, into any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && utf8.Valid(b) && uniqueNames(json.NewDecoder(bytes.NewReader(b))) &&
		json.Unmarshal(b, into) == nil
}

// uniqueNames reads one JSON value and reports whether no object in it
// names a member twice.
func uniqueNames(dec *json.Decoder) bool {
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			name, err := dec.Token()
			if err != nil || seen[name.(string)] {
				return false
			}
			seen[name.(string)] = true
			if !uniqueNames(dec) {
				return false
			}
		}
	case json.Delim('['):
		for dec.More() {
			if !uniqueNames(dec) {
				return false
			}
		}
	default:
		return true
	}
	_, err = dec.Token() // the closing delimiter
	return err == nil
}

func printableSubject(sub string) bool {
	if sub == "" || len(sub) > 256 {
		return false
	}
	for _, r := range sub {
		if r < 0x20 || r >= 0x7f && r < 0xa0 {
			return false
		}
	}
	return true
}

// timesAreNumbers: each time present is a number from 0 to before the
// year 10000.
func timesAreNumbers(payload map[string]any) bool {
	for _, name := range []string{"exp", "nbf", "iat"} {
		if v, ok := payload[name]; ok {
			if f, ok := v.(float64); !ok || f < 0 || f >= lastNumericDate+1 {
				return false
			}
		}
	}
	return true
}

func roomsMatch(payload map[string]any, got []string) bool {
	v, ok := payload["rooms"]
	if !ok {
		return got == nil
	}
	list, ok := v.([]any)
	if !ok || len(list) != len(got) {
		return false
	}
	for i, item := range list {
		if item != got[i] {
			return false
		}
	}
	return true
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
