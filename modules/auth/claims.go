package auth

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/modules/protocol"
)

// Why a payload or header is refused; all of them are token_invalid.
var (
	errNotObject  = errors.New("not a JSON object")
	errBadSubject = errors.New("sub is empty, too long, not UTF-8 or holds a control character")
	errBadRooms   = errors.New("rooms must be a list of strings")
	errNotNumber  = errors.New("exp, nbf and iat must be JSON numbers")
	errDateRange  = errors.New("exp, nbf and iat must be from 0 to 253402300799 (1970 to 9999)")
	errCritHeader = errors.New("crit header: no extension is understood")
	errBadAlg     = errors.New("the alg header is not the configured algorithm")
	errNotJWS     = errors.New("not a compact JWS")
)

// tokenClaims is what rt reads from a token's payload. jwt's Validator
// checks exp, nbf, iat, iss and aud through the embedded RegisteredClaims,
// which parseClaims fills from the strictly read payload, so the claims jwt
// checks are exactly the claims rt uses. encoding/json's lenient decoding
// is never used: it matches names case-insensitively ("SUB" fills sub),
// lets the last of two equal names win, turns invalid UTF-8 into U+FFFD
// and takes "123" for a time.
type tokenClaims struct {
	jwt.RegisteredClaims
	Rooms []string
	raw   jsontext.Value // the payload as the issuer wrote it
}

// payload names the claims rt reads, matched exactly. Other claims are
// ignored, but the whole payload must still be valid UTF-8 with no name
// twice in any object: json.Unmarshal checks all of it.
type payload struct {
	Subject   string         `json:"sub"`
	Issuer    string         `json:"iss"`
	Audience  jsontext.Value `json:"aud"`
	ExpiresAt jsontext.Value `json:"exp"`
	NotBefore jsontext.Value `json:"nbf"`
	IssuedAt  jsontext.Value `json:"iat"`
	Rooms     jsontext.Value `json:"rooms"`
}

// parseClaims decodes a payload strictly and applies rt's rules to it.
func parseClaims(b []byte) (tokenClaims, error) {
	var p payload
	if err := unmarshalObject(b, &p); err != nil {
		return tokenClaims{}, err
	}
	if err := checkSubject(p.Subject); err != nil {
		return tokenClaims{}, err
	}
	rooms, err := parseRooms(p.Rooms)
	if err != nil {
		return tokenClaims{}, err
	}
	rc, err := registered(p)
	if err != nil {
		return tokenClaims{}, err
	}
	return tokenClaims{RegisteredClaims: rc, Rooms: rooms}, nil
}

// unmarshalObject decodes a JSON object with json/v2's defaults: names
// matched case-sensitively, duplicate names and invalid UTF-8 refused.
// A top-level null would otherwise decode to the zero value without error.
func unmarshalObject(b []byte, into any) error {
	if jsontext.Value(b).Kind() != '{' {
		return errNotObject
	}
	return json.Unmarshal(b, into)
}

// checkSubject: sub is the user's identity everywhere downstream, so it must
// be text that cannot forge a log line, a terminal sequence or a key. A
// JSON null reads as "" and is refused with the empty string.
func checkSubject(sub string) error {
	if !protocol.ValidUser(sub) {
		return errBadSubject
	}
	return nil
}

// parseRooms: an absent rooms claim is nil, meaning any room; otherwise it
// must be a list of strings (an empty list allows no room). null is refused
// rather than read as absent, as it would lift a restriction the issuer may
// have meant to set.
func parseRooms(raw jsontext.Value) ([]string, error) {
	if raw == nil {
		return nil, nil
	}
	var items []*string // a null item stays nil instead of becoming ""
	if raw.Kind() != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, errBadRooms
	}
	rooms := make([]string, len(items))
	for i, item := range items {
		if item == nil {
			return nil, errBadRooms
		}
		rooms[i] = *item
	}
	return rooms, nil
}

// registered builds the claims jwt validates from the strictly read ones.
func registered(p payload) (jwt.RegisteredClaims, error) {
	rc := jwt.RegisteredClaims{Subject: p.Subject, Issuer: p.Issuer}
	var err error
	if rc.ExpiresAt, err = numericDate(p.ExpiresAt); err != nil {
		return rc, err
	}
	if rc.NotBefore, err = numericDate(p.NotBefore); err != nil {
		return rc, err
	}
	if rc.IssuedAt, err = numericDate(p.IssuedAt); err != nil {
		return rc, err
	}
	if p.Audience != nil {
		err = rc.Audience.UnmarshalJSON(p.Audience) // a string or a list of strings, as jwt reads it
	}
	return rc, err
}

// lastNumericDate is 9999-12-31T23:59:59Z in Unix seconds, the last second
// a time claim may name.
const lastNumericDate = 253402300799

// numericDate reads an optional time claim. It must be a JSON number: jwt
// alone would also take a numeric string, and null would read as absent.
//
// It must also be a time rt can compute with: from 0 (1970) to the last
// second of the year 9999. jwt converts a number to int64 seconds without
// looking, so 1e19 wrapped to a date long past (an nbf or iat "in the
// past", accepted) and exp 9.2e18 to a time whose Unix milliseconds
// overflow. RFC 7519 §2 allows a fraction, so 1.5 is accepted and, as jwt
// does, truncated to the second; anything negative or from the year 10000
// on is refused rather than clamped, as no issuer means it.
func numericDate(raw jsontext.Value) (*jwt.NumericDate, error) {
	if raw == nil {
		return nil, nil
	}
	if raw.Kind() != '0' {
		return nil, errNotNumber
	}
	f, err := strconv.ParseFloat(string(raw), 64) // beyond float64 (1e400): an error
	if err != nil || f < 0 || f >= lastNumericDate+1 {
		return nil, errDateRange
	}
	secs, frac := math.Modf(f)
	return jwt.NewNumericDate(time.Unix(int64(secs), int64(frac*1e9))), nil
}
