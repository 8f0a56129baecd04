package auth

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/golang-jwt/jwt/v5"
)

// parse checks a compact JWS and returns its claims: what jwt's
// ParseWithClaims did for rt, with each segment decoded once. jwt decoded
// the header into a map with encoding/json and rt then read it again
// strictly, and encoding/json scanned the payload before handing it to
// tokenClaims' strict reading; here the strict readings are the only ones,
// extended by the one rule of encoding/json's that they lacked (checkHeader).
// The checks and their outcome are the same: three segments, the header
// (alg, crit), the payload (parseClaims), the signature, then the
// registered claims with jwt's own Validator, so an expired token is told
// apart exactly as before.
func (v *JWT) parse(token string) (tokenClaims, error) {
	headSeg, rest, ok := strings.Cut(token, ".")
	if !ok {
		return tokenClaims{}, errNotJWS
	}
	claimsSeg, sigSeg, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sigSeg, ".") {
		return tokenClaims{}, errNotJWS
	}
	header, err := v.parser.DecodeSegment(headSeg)
	if err != nil {
		return tokenClaims{}, err
	}
	if err := checkHeader(header, v.alg); err != nil {
		return tokenClaims{}, err
	}
	payload, err := v.parser.DecodeSegment(claimsSeg)
	if err != nil {
		return tokenClaims{}, err
	}
	// encoding/json handed the claims their value without the whitespace
	// around it; Raw is that value. payload is this call's own buffer, so
	// Raw keeps it without a copy.
	payload = bytes.Trim(payload, jsonSpace)
	rc, err := parseClaims(payload)
	if err != nil {
		return tokenClaims{}, err
	}
	rc.raw = payload
	sig, err := v.parser.DecodeSegment(sigSeg)
	if err != nil {
		return tokenClaims{}, err
	}
	if err := v.checkSignature(token[:len(headSeg)+1+len(claimsSeg)], sig); err != nil {
		return tokenClaims{}, err
	}
	if err := v.validator.Validate(&rc); err != nil {
		return tokenClaims{}, err
	}
	return rc, nil
}

// jsonSpace is the whitespace JSON allows around a value (RFC 8259 §2).
const jsonSpace = " \t\n\r"

// checkSignature verifies sig over signed with the configured key: HMAC
// with a pooled keyed hash, compared in constant time as jwt does, any
// other algorithm through jwt's method.
func (v *JWT) checkSignature(signed string, sig []byte) error {
	if v.macs == nil {
		return v.method.Verify(signed, sig, v.key)
	}
	m := v.macs.Get().(*mac)
	defer v.macs.Put(m)
	m.h.Reset()
	// hmac takes bytes, and a string would be copied anew each time. What
	// stays in the pool is header and payload, which are no secret; the
	// signature never goes in.
	m.signed = append(m.signed[:0], signed...)
	m.h.Write(m.signed)
	if !hmac.Equal(sig, m.h.Sum(m.sum[:0])) {
		return jwt.ErrSignatureInvalid
	}
	return nil
}

// mac is a keyed HMAC hash with room for its input and its sum.
type mac struct {
	h      hash.Hash
	signed []byte
	sum    [64]byte // the largest HMAC of JWS, HS512
}

func newMACs(h crypto.Hash, key []byte) *sync.Pool {
	return &sync.Pool{New: func() any { return &mac{h: hmac.New(h.New, key)} }}
}

// headerReader is a pooled decoder for checkHeader.
type headerReader struct {
	r   bytes.Reader
	dec jsontext.Decoder
}

var headerReaders = sync.Pool{New: func() any { return new(headerReader) }}

// checkHeader reads a JWS header strictly: a JSON object with no name
// twice in any object and valid UTF-8 throughout (json/v2's defaults; jwt
// alone let the last of two "alg" members win), whose alg is the one
// configured, with no crit, since rt implements no JWS extension (RFC 7515
// §4.1.11); unknown parameters such as kid or typ are fine. Every number
// must also be a float64, as jwt's decoding of the header into a map
// required.
func checkHeader(b []byte, alg string) error {
	if jsontext.Value(b).Kind() != '{' {
		return errNotObject
	}
	hr := headerReaders.Get().(*headerReader)
	defer func() {
		hr.r.Reset(nil) // b is the caller's: the pool keeps no reference to it
		headerReaders.Put(hr)
	}()
	hr.r.Reset(b)
	hr.dec.Reset(&hr.r)
	if _, err := hr.dec.ReadToken(); err != nil { // the '{'
		return err
	}
	found := false
	for hr.dec.PeekKind() != '}' {
		name, err := hr.dec.ReadToken()
		if err != nil {
			return err
		}
		switch name.String() {
		case "crit":
			return errCritHeader
		case "alg":
			value, err := hr.dec.ReadToken()
			if err != nil {
				return err
			}
			if value.Kind() != '"' || value.String() != alg {
				return errBadAlg
			}
			found = true
		default:
			if err := skipValue(&hr.dec); err != nil {
				return err
			}
		}
	}
	if _, err := hr.dec.ReadToken(); err != nil { // the '}'
		return err
	}
	if _, err := hr.dec.ReadToken(); err != io.EOF { // nothing after the object
		return errNotObject
	}
	if !found {
		return errBadAlg
	}
	return nil
}

// skipValue reads the next value whole, token by token, so that each
// number in it is seen: one beyond float64 (1e400) is refused.
func skipValue(dec *jsontext.Decoder) error {
	depth := dec.StackDepth()
	for {
		t, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if t.Kind() == '0' {
			if _, err := t.Float(); err != nil {
				return err
			}
		}
		if dec.StackDepth() == depth {
			return nil
		}
	}
}
