package auth

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/config"
)

// reference is how rt verified a token before parse (token.go) did it in
// one pass: jwt's ParseWithClaims, the payload read strictly through
// UnmarshalJSON, the header read again strictly in the key function. parse
// must agree with it on every token: same claims, same error.
type reference struct {
	parser *jwt.Parser
	key    any
}

func newReference(cfg config.Config) *reference {
	v := mustJWT(cfg)
	return &reference{parser: jwt.NewParser(parserOptions(cfg)...), key: v.key}
}

// referenceClaims is tokenClaims as jwt filled it, through encoding/json.
type referenceClaims struct{ tokenClaims }

func (c *referenceClaims) UnmarshalJSON(b []byte) error {
	parsed, err := parseClaims(b)
	if err != nil {
		return err
	}
	c.tokenClaims = parsed
	c.raw = bytes.Clone(b)
	return nil
}

func (r *reference) Verify(token string) (Claims, error) {
	switch {
	case token == "":
		return Claims{}, ErrTokenMissing
	case len(token) > MaxTokenBytes:
		return Claims{}, ErrTokenInvalid
	}
	var rc referenceClaims
	_, err := r.parser.ParseWithClaims(token, &rc, func(t *jwt.Token) (any, error) {
		seg, _, _ := strings.Cut(t.Raw, ".")
		b, err := r.parser.DecodeSegment(seg)
		if err != nil {
			return nil, err
		}
		var header map[string]jsontext.Value
		if err := unmarshalObject(b, &header); err != nil {
			return nil, err
		}
		if _, ok := header["crit"]; ok {
			return nil, errCritHeader
		}
		return r.key, nil
	})
	return claimsOf(rc.tokenClaims, err)
}

// referenceConfigs are the settings the comparison runs under.
func referenceConfigs() []config.Config {
	return []config.Config{
		{JWTSecret: secret, JWTAlg: "HS256"},
		{JWTSecret: secret, JWTAlg: "HS512"},
		{JWTSecret: secret, JWTAlg: "HS256", JWTRequireExp: true, JWTIssuer: "auth.example",
			JWTAudience: "rt", JWTLeeway: time.Minute},
	}
}

// sameAsReference fails t when v and ref disagree about token.
func sameAsReference(t *testing.T, v *JWT, ref *reference, token string) {
	t.Helper()
	got, gotErr := v.Verify(token)
	want, wantErr := ref.Verify(token)
	if gotErr != wantErr || !reflect.DeepEqual(got, want) {
		t.Fatalf("token %q:\n got %#v, %v\nwant %#v, %v", token, got, gotErr, want, wantErr)
	}
}

// referenceHeaders are headers that test every rule of checkHeader; alg
// is replaced by each configuration's.
var referenceHeaders = []string{
	`{"alg":"ALG","typ":"JWT"}`, `{"alg":"ALG"}`, ` {"alg":"ALG"} `, "\t{\n\"alg\"\r:\"ALG\"}\n",
	`{"typ":"JWT","alg":"ALG","kid":"k1"}`, `{"alg":"AL\u0047"}`, `{"alg":"alg"}`, `{"ALG":"ALG"}`,
	`{"alg":"none"}`, `{"alg":"HS256"}`, `{"alg":"HS512"}`, `{"alg":"RS256"}`, `{"alg":null}`, `{"alg":1}`,
	`{"alg":["ALG"]}`, `{"alg":{"x":"ALG"}}`, `{}`, `null`, `[]`, `"ALG"`, ``, `{"alg":"ALG"`, `{"alg":"ALG"}}`,
	`{"alg":"ALG"}{}`, `{"alg":"ALG"} x`, `{"alg":"ALG","alg":"ALG"}`, `{"alg":"none","alg":"ALG"}`,
	`{"alg":"ALG","crit":["exp"]}`, `{"alg":"ALG","crit":null}`, `{"crit":[],"alg":"ALG"}`, `{"alg":"ALG","cr\u0069t":1}`,
	`{"alg":"ALG","x":1e400}`, `{"alg":"ALG","x":[1,{"y":-1e400}]}`, `{"alg":"ALG","x":1e-400}`, `{"alg":"ALG","x":1.7976931348623157e308}`,
	`{"alg":"ALG","x":{"a":1,"a":2}}`, `{"alg":"ALG","x":[{"a":1},{"a":2}]}`, `{"alg":"ALG","kid":"` + "\xff" + `"}`,
	`{"alg":"ALG","kid":"\ud800"}`, `{"alg":"ALG","kid":"\u0000"}`, `{"alg":"ALG","x":[[[[[]]]]]}`, `{"alg":"ALG","x":01}`,
	`{"alg":"ALG",}`, `{"alg":"ALG","x":tru}`, `{"alg":"ALG","x":true,"y":false,"z":null}`,
}

// referencePayloads test the claims, their whitespace and the validator.
func referencePayloads() []string {
	future, past := at(time.Hour), at(-time.Hour)
	n := func(format string, a ...any) string { return fmt.Sprintf(format, a...) }
	return []string{
		`{"sub":"u1"}`, ` {"sub":"u1"} `, "\n{\"sub\":\"u1\"}\r\n\t", `{ "sub" : "bob", "rooms" : ["a*"] }`,
		`{"sub":"u1","rooms":["lobby","team:*"]}`, `{"sub":"u1","rooms":null}`, `{"sub":"u1","rooms":[]}`,
		n(`{"sub":"u1","exp":%d}`, future), n(`{"sub":"u1","exp":%d}`, past), n(`{"sub":"u1","exp":%d,"nbf":%d}`, past, future),
		n(`{"sub":"u1","nbf":%d}`, future), n(`{"sub":"u1","iat":%d}`, future), n(`{"sub":"u1","exp":"%d"}`, future),
		n(`{"sub":"u1","exp":%d,"iss":"auth.example","aud":"rt"}`, future), n(`{"sub":"u1","exp":%d,"iss":"auth.example","aud":["x","rt"]}`, future),
		n(`{"sub":"u1","exp":%d,"iss":"other","aud":"rt"}`, future), n(`{"sub":"u1","exp":%d,"iss":"auth.example"}`, future),
		n(`{"sub":"u1","exp":%d,"iss":"auth.example","aud":"rt"}`, at(-30*time.Second)),
		`{"sub":"u1","exp":1e400}`, `{"sub":"u1","x":1e400}`, `{"sub":"u1","sub":"u2"}`, `{"SUB":"u1"}`, `{"sub":""}`,
		`{"sub":"u1","x":"` + "\xff" + `"}`, `null`, `[]`, `"u1"`, ``, ` `, `{"sub":"u1"}{}`, `{"sub":"u1"`,
	}
}

// TestParseMatchesJWT: every header and payload above, signed, tampered
// and cut, under every configuration, verifies as jwt's ParseWithClaims
// had it.
func TestParseMatchesJWT(t *testing.T) {
	for _, cfg := range referenceConfigs() {
		v, ref := mustJWT(cfg), newReference(cfg)
		for _, header := range referenceHeaders {
			header = strings.ReplaceAll(header, "ALG", cfg.JWTAlg)
			for _, payload := range referencePayloads() {
				tok := forgeWith(cfg.JWTAlg, header, payload)
				sameAsReference(t, v, ref, tok)
				sameAsReference(t, v, ref, tok[:len(tok)-2])                  // a signature cut short
				sameAsReference(t, v, ref, tok+".")                           // a fourth segment
				sameAsReference(t, v, ref, tok[:strings.LastIndex(tok, ".")]) // two segments
				sameAsReference(t, v, ref, tok+"=")                           // padding
			}
		}
	}
}

// FuzzParseMatchesJWT is TestParseMatchesJWT on arbitrary headers and
// payloads, signed with the secret, and on arbitrary tokens.
func FuzzParseMatchesJWT(f *testing.F) {
	for _, header := range referenceHeaders {
		for _, payload := range referencePayloads()[:6] {
			f.Add(strings.ReplaceAll(header, "ALG", "HS256"), payload, false)
		}
	}
	f.Add("", "eyJhbGciOiJub25lIn0.e30.", true)
	cfgs := referenceConfigs()
	vs, refs := make([]*JWT, len(cfgs)), make([]*reference, len(cfgs))
	for i, cfg := range cfgs {
		vs[i], refs[i] = mustJWT(cfg), newReference(cfg)
	}
	f.Fuzz(func(t *testing.T, header, payload string, raw bool) {
		for i, cfg := range cfgs {
			tok := payload
			if !raw {
				tok = forgeWith(cfg.JWTAlg, strings.ReplaceAll(header, "HS256", cfg.JWTAlg), payload)
			}
			sameAsReference(t, vs[i], refs[i], tok)
		}
	})
}

// forgeWith is forge for any HMAC alg: header and payload signed exactly as
// written.
func forgeWith(alg, header, payload string) string {
	m := jwt.GetSigningMethod(alg)
	enc := base64.RawURLEncoding.EncodeToString
	signed := enc([]byte(header)) + "." + enc([]byte(payload))
	sig, err := m.Sign(signed, []byte(secret))
	if err != nil {
		panic(err)
	}
	return signed + "." + enc(sig)
}
