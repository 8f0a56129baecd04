package auth

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/config"
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

// TestVerifyStrictClaims sends hand-signed tokens whose JSON no encoder
// would write. Claim names match exactly, no name appears twice, times are
// JSON numbers, rooms is absent or a list of strings, and sub is a short,
// printable UTF-8 string; anything else is token_invalid.
func TestVerifyStrictClaims(t *testing.T) {
	v := verifier("HS256")
	future, past := at(time.Hour), at(-time.Hour)
	n := func(format string, a ...any) string { return fmt.Sprintf(format, a...) }
	tests := []struct {
		name    string
		header  string // "" for hsHeader
		payload string
		want    error
		sub     string
		rooms   []string // nil: any room
	}{
		{"hand-signed control", "", `{"sub":"u1"}`, nil, "u1", nil},
		{"header with kid", `{"alg":"HS256","typ":"JWT","kid":"k1"}`, `{"sub":"u1"}`, nil, "u1", nil},

		{"rooms absent means any room", "", `{"sub":"u1","exp":` + n("%d", future) + `}`, nil, "u1", nil},
		{"rooms empty means none", "", `{"sub":"u1","rooms":[]}`, nil, "u1", []string{}},
		{"rooms list", "", `{"sub":"u1","rooms":["lobby","team:*"]}`, nil, "u1", []string{"lobby", "team:*"}},
		{"rooms null", "", `{"sub":"u1","rooms":null}`, ErrTokenInvalid, "", nil},
		{"rooms [null]", "", `{"sub":"u1","rooms":[null]}`, ErrTokenInvalid, "", nil},
		{"rooms with a null among strings", "", `{"sub":"u1","rooms":["lobby",null]}`, ErrTokenInvalid, "", nil},
		{"rooms [1]", "", `{"sub":"u1","rooms":[1]}`, ErrTokenInvalid, "", nil},
		{"rooms nested list", "", `{"sub":"u1","rooms":[["lobby"]]}`, ErrTokenInvalid, "", nil},
		{"rooms a string", "", `{"sub":"u1","rooms":"lobby"}`, ErrTokenInvalid, "", nil},
		{"rooms an object", "", `{"sub":"u1","rooms":{}}`, ErrTokenInvalid, "", nil},
		{"rooms true", "", `{"sub":"u1","rooms":true}`, ErrTokenInvalid, "", nil},

		{"SUB is not sub", "", `{"SUB":"admin"}`, ErrTokenInvalid, "", nil},
		{"Sub beside sub is another claim", "", `{"sub":"u1","Sub":"admin"}`, nil, "u1", nil},
		{"ROOMS does not widen rooms", "", `{"sub":"u1","rooms":["other"],"ROOMS":["*"]}`, nil, "u1", []string{"other"}},
		{"EXP does not replace exp", "", n(`{"sub":"u1","exp":%d,"EXP":%d}`, past, future), ErrTokenExpired, "", nil},
		{"EXP alone is no exp", "", n(`{"sub":"u1","EXP":%d}`, past), nil, "u1", nil},

		{"sub twice", "", `{"sub":"u1","sub":"admin"}`, ErrTokenInvalid, "", nil},
		{"sub twice, same value", "", `{"sub":"u1","sub":"u1"}`, ErrTokenInvalid, "", nil},
		{"rooms twice", "", `{"sub":"u1","rooms":["other"],"rooms":["*"]}`, ErrTokenInvalid, "", nil},
		{"exp twice", "", n(`{"sub":"u1","exp":%d,"exp":%d}`, past, future), ErrTokenInvalid, "", nil},
		{"unknown claim twice", "", `{"sub":"u1","role":"user","role":"admin"}`, ErrTokenInvalid, "", nil},
		{"name twice in a nested object", "", `{"sub":"u1","ctx":{"a":1,"a":2}}`, ErrTokenInvalid, "", nil},
		{"alg twice", `{"alg":"none","alg":"HS256"}`, `{"sub":"u1"}`, ErrTokenInvalid, "", nil},
		{"alg twice, same value", `{"alg":"HS256","alg":"HS256"}`, `{"sub":"u1"}`, ErrTokenInvalid, "", nil},
		{"typ twice", `{"alg":"HS256","typ":"JWT","typ":"JWT"}`, `{"sub":"u1"}`, ErrTokenInvalid, "", nil},
		{"crit header", `{"alg":"HS256","crit":["exp"],"exp":1}`, `{"sub":"u1"}`, ErrTokenInvalid, "", nil},
		{"crit header, empty", `{"alg":"HS256","crit":[]}`, `{"sub":"u1"}`, ErrTokenInvalid, "", nil},
		{"header with invalid UTF-8", `{"alg":"HS256","kid":"` + "\xff" + `"}`, `{"sub":"u1"}`, ErrTokenInvalid, "", nil},
		{"header not an object", `["HS256"]`, `{"sub":"u1"}`, ErrTokenInvalid, "", nil},

		{"exp a number with a fraction", "", n(`{"sub":"u1","exp":%d.5}`, future), nil, "u1", nil},
		{"exp past, a number", "", n(`{"sub":"u1","exp":%d}`, past), ErrTokenExpired, "", nil},
		{"exp a numeric string", "", n(`{"sub":"u1","exp":"%d"}`, future), ErrTokenInvalid, "", nil},
		{"exp a numeric string, past", "", n(`{"sub":"u1","exp":"%d"}`, past), ErrTokenInvalid, "", nil},
		{"nbf a numeric string", "", n(`{"sub":"u1","nbf":"%d"}`, past), ErrTokenInvalid, "", nil},
		{"iat a numeric string", "", n(`{"sub":"u1","iat":"%d"}`, past), ErrTokenInvalid, "", nil},
		{"exp null", "", `{"sub":"u1","exp":null}`, ErrTokenInvalid, "", nil},
		{"exp true", "", `{"sub":"u1","exp":true}`, ErrTokenInvalid, "", nil},
		{"nbf and iat numbers", "", n(`{"sub":"u1","nbf":%d,"iat":%d}`, past, past), nil, "u1", nil},

		// Times are NumericDates from 0 to 253402300799 (9999-12-31T23:59:59Z).
		{"exp 0, the first second", "", `{"sub":"u1","exp":0}`, ErrTokenExpired, "", nil},
		{"nbf and iat 0", "", `{"sub":"u1","nbf":0,"iat":0}`, nil, "u1", nil},
		{"nbf and iat -0", "", `{"sub":"u1","nbf":-0,"iat":-0.0}`, nil, "u1", nil},
		{"exp the last second of 9999", "", `{"sub":"u1","exp":253402300799}`, nil, "u1", nil},
		{"exp within the last second of 9999", "", `{"sub":"u1","exp":253402300799.5}`, nil, "u1", nil},
		{"exp as an exponent", "", `{"sub":"u1","exp":2.53402300799e11}`, nil, "u1", nil},
		{"exp the first second of 10000", "", `{"sub":"u1","exp":253402300800}`, ErrTokenInvalid, "", nil},
		{"exp 9.2e18", "", `{"sub":"u1","exp":9.2e18}`, ErrTokenInvalid, "", nil},
		{"exp beyond int64", "", `{"sub":"u1","exp":1e19}`, ErrTokenInvalid, "", nil},
		{"exp beyond float64", "", `{"sub":"u1","exp":1e400}`, ErrTokenInvalid, "", nil},
		{"exp -1", "", `{"sub":"u1","exp":-1}`, ErrTokenInvalid, "", nil},
		{"exp a little below 0", "", `{"sub":"u1","exp":-0.001}`, ErrTokenInvalid, "", nil},
		{"exp -9.2e18", "", `{"sub":"u1","exp":-9.2e18}`, ErrTokenInvalid, "", nil},
		{"nbf the last second of 9999", "", `{"sub":"u1","nbf":253402300799}`, ErrTokenInvalid, "", nil}, // in the future
		{"nbf the first second of 10000", "", `{"sub":"u1","nbf":253402300800}`, ErrTokenInvalid, "", nil},
		{"nbf 1e19", "", `{"sub":"u1","nbf":1e19}`, ErrTokenInvalid, "", nil},
		{"nbf 10000000000000000000", "", `{"sub":"u1","nbf":10000000000000000000}`, ErrTokenInvalid, "", nil},
		{"nbf 1.8e308", "", `{"sub":"u1","nbf":1.8e308}`, ErrTokenInvalid, "", nil},
		{"nbf -1", "", `{"sub":"u1","nbf":-1}`, ErrTokenInvalid, "", nil},
		{"iat 1e300", "", `{"sub":"u1","iat":1e300}`, ErrTokenInvalid, "", nil},
		{"iat 9.3e18", "", `{"sub":"u1","iat":9.3e18}`, ErrTokenInvalid, "", nil},
		{"iat -1", "", `{"sub":"u1","iat":-1}`, ErrTokenInvalid, "", nil},
		{"iat a fraction in the past", "", n(`{"sub":"u1","iat":%d.25}`, past), nil, "u1", nil},

		{"sub unicode", "", `{"sub":"łukasz-日本-👋"}`, nil, "łukasz-日本-👋", nil},
		{"sub unicode escaped", "", `{"sub":"\u0142"}`, nil, "ł", nil},
		{"sub of 256 bytes", "", `{"sub":"` + strings.Repeat("a", 256) + `"}`, nil, strings.Repeat("a", 256), nil},
		{"sub of 256 bytes in 128 runes", "", `{"sub":"` + strings.Repeat("é", 128) + `"}`, nil, strings.Repeat("é", 128), nil},
		{"sub of 257 bytes", "", `{"sub":"` + strings.Repeat("a", 257) + `"}`, ErrTokenInvalid, "", nil},
		{"sub of 257 bytes in 129 runes", "", `{"sub":"` + strings.Repeat("é", 128) + `a"}`, ErrTokenInvalid, "", nil},
		{"sub with invalid UTF-8", "", `{"sub":"u` + "\xff" + `"}`, ErrTokenInvalid, "", nil},
		{"sub with a lone surrogate", "", `{"sub":"u\ud800"}`, ErrTokenInvalid, "", nil},
		{"sub with ESC", "", `{"sub":"u\u001b[31m"}`, ErrTokenInvalid, "", nil},
		{"sub with a newline", "", `{"sub":"u1\nu2"}`, ErrTokenInvalid, "", nil},
		{"sub with NUL", "", `{"sub":"u1\u0000"}`, ErrTokenInvalid, "", nil},
		{"sub with DEL", "", `{"sub":"u1` + "\x7f" + `"}`, ErrTokenInvalid, "", nil},
		{"sub with C1 NEL", "", `{"sub":"u1\u0085"}`, ErrTokenInvalid, "", nil},
		{"sub with C1 CSI", "", `{"sub":"u1` + "\u009b" + `"}`, ErrTokenInvalid, "", nil},
		{"sub a list", "", `{"sub":["u1"]}`, ErrTokenInvalid, "", nil},
		{"sub an object", "", `{"sub":{}}`, ErrTokenInvalid, "", nil},
		{"invalid UTF-8 in another claim", "", `{"sub":"u1","name":"` + "\xc3" + `"}`, ErrTokenInvalid, "", nil},

		{"payload null", "", `null`, ErrTokenInvalid, "", nil},
		{"payload a list", "", `[{"sub":"u1"}]`, ErrTokenInvalid, "", nil},
		{"payload a string", "", `"u1"`, ErrTokenInvalid, "", nil},
		{"payload with trailing data", "", `{"sub":"u1"}{"sub":"admin"}`, ErrTokenInvalid, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := tt.header
			if header == "" {
				header = hsHeader
			}
			c, err := v.Verify(forge(header, tt.payload))
			if err != tt.want {
				t.Fatalf("Verify(%s) = %+v, %v; want error %v", tt.payload, c, err, tt.want)
			}
			want := Claims{}
			if err == nil {
				want = Claims{Subject: tt.sub, ExpiresAt: c.ExpiresAt, Rooms: tt.rooms, Raw: []byte(tt.payload)}
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("claims %#v, want %#v", c, want)
			}
		})
	}
}

// TestVerifyStrictClaimsOptions: the claims jwt checks against the
// configuration are the ones read exactly, so a case variant neither
// satisfies nor overrides them.
func TestVerifyStrictClaimsOptions(t *testing.T) {
	v := mustJWT(config.Config{JWTSecret: secret, JWTAlg: "HS256", JWTIssuer: "auth.example",
		JWTAudience: "github.com/rtserver/rt", JWTRequireExp: true})
	exp := at(time.Hour)
	tests := []struct {
		name    string
		payload string
		want    error
	}{
		{"control", fmt.Sprintf(`{"sub":"u1","iss":"auth.example","aud":"github.com/rtserver/rt","exp":%d}`, exp), nil},
		{"Exp is no exp", fmt.Sprintf(`{"sub":"u1","iss":"auth.example","aud":"github.com/rtserver/rt","Exp":%d}`, exp), ErrTokenInvalid},
		{"ISS does not replace iss", fmt.Sprintf(`{"sub":"u1","iss":"evil","ISS":"auth.example","aud":"github.com/rtserver/rt","exp":%d}`, exp), ErrTokenInvalid},
		{"Aud is no aud", fmt.Sprintf(`{"sub":"u1","iss":"auth.example","Aud":"github.com/rtserver/rt","exp":%d}`, exp), ErrTokenInvalid},
		{"aud twice", fmt.Sprintf(`{"sub":"u1","iss":"auth.example","aud":"x","aud":"github.com/rtserver/rt","exp":%d}`, exp), ErrTokenInvalid},
		{"aud list with a null", fmt.Sprintf(`{"sub":"u1","iss":"auth.example","aud":["github.com/rtserver/rt",null],"exp":%d}`, exp), ErrTokenInvalid},
		{"exp a numeric string", fmt.Sprintf(`{"sub":"u1","iss":"auth.example","aud":"github.com/rtserver/rt","exp":"%d"}`, exp), ErrTokenInvalid},
	}
	for _, tt := range tests {
		if c, err := v.Verify(forge(hsHeader, tt.payload)); err != tt.want {
			t.Errorf("%s: %+v, %v; want %v", tt.name, c, err, tt.want)
		}
	}
}

// TestVerifyExpiresAtInRange: an accepted exp is the second it names
// (a fraction truncated), and its Unix milliseconds are exact up to the
// last second of 9999.
func TestVerifyExpiresAtInRange(t *testing.T) {
	v := verifier("HS256")
	future := at(time.Hour)
	tests := []struct {
		exp  string
		want int64 // Unix milliseconds
	}{
		{fmt.Sprint(future), future * 1000},
		{fmt.Sprintf("%d.999", future), future * 1000},
		{"253402300799", 253402300799000},
		{"253402300799.5", 253402300799000},
		{"2.53402300799e11", 253402300799000},
	}
	for _, tt := range tests {
		c, err := v.Verify(forge(hsHeader, `{"sub":"u1","exp":`+tt.exp+`}`))
		if err != nil || c.ExpiresAt.UnixMilli() != tt.want {
			t.Errorf("exp %s: %v (%d ms), %v; want %d ms", tt.exp, c.ExpiresAt, c.ExpiresAt.UnixMilli(), err, tt.want)
		}
	}
}

// TestVerifyTokenSize: up to MaxTokenBytes a token is verified; beyond it
// it is invalid, however well signed.
func TestVerifyTokenSize(t *testing.T) {
	v := verifier("HS256")
	tests := []struct {
		size int
		want error
	}{
		{MaxTokenBytes - 1, nil},
		{MaxTokenBytes, nil},
		{MaxTokenBytes + 1, ErrTokenInvalid},
		{MaxTokenBytes + 2, ErrTokenInvalid},
	}
	for _, tt := range tests {
		if c, err := v.Verify(tokenOfSize(t, tt.size)); err != tt.want {
			t.Errorf("%d bytes: %+v, %v; want %v", tt.size, c, err, tt.want)
		}
	}
	if c, err := v.Verify(bigToken(t)); err != ErrTokenInvalid {
		t.Errorf("61 KB: %+v, %v; want %v", c, err, ErrTokenInvalid)
	}
}

// tokenOfSize is a valid token for u1 exactly size bytes long, padded with
// a claim rt ignores. Base64 skips some lengths, so the header is padded too.
func tokenOfSize(t testing.TB, size int) string {
	t.Helper()
	for pad := 0; pad < size; pad++ {
		for kid := 0; kid < 3; kid++ {
			header := `{"alg":"HS256","kid":"` + strings.Repeat("k", kid) + `"}`
			tok := forge(header, `{"sub":"u1","p":"`+strings.Repeat("x", pad)+`"}`)
			if len(tok) == size {
				return tok
			}
		}
	}
	t.Fatalf("no token of %d bytes", size)
	return ""
}

// bigToken is a valid token of about 61 KB: u1 with 3,300 rooms, any room
// in fact (the last is *), as an attacker with a key or a careless issuer
// could sign.
func bigToken(t testing.TB) string {
	rooms := make([]string, 3300)
	for i := range rooms {
		rooms[i] = fmt.Sprintf("room-%06d", i)
	}
	rooms[len(rooms)-1] = "*"
	tok := hs256(t, jwt.MapClaims{"sub": "u1", "exp": at(time.Hour), "rooms": rooms})
	if len(tok) < 60<<10 || len(tok) > 63<<10 {
		t.Fatalf("token of %d bytes, want about 61 KB", len(tok))
	}
	return tok
}

// BenchmarkVerifyBigToken is the cost of a 61 KB auth.refresh: verified in
// full (as before the cap) and refused by its size.
func BenchmarkVerifyBigToken(b *testing.B) {
	v := verifier("HS256")
	tok := bigToken(b)
	b.Run("verified", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := v.verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("capped", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := v.Verify(tok); err != ErrTokenInvalid {
				b.Fatal(err)
			}
		}
	})
}
