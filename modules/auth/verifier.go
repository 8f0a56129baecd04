// Package auth decides, before any upgrade, whether a WebSocket handshake
// may proceed: the room name, the Origin and the JWT (SPEC §3).
package auth

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/server"
)

// MaxTokenBytes is the longest token Verify reads. The handshake cannot
// carry a longer one (the request line and headers, ?token= and the
// Authorization header included, are capped at the same number), so only
// auth.refresh could; verifying costs time in proportion to the token's
// size, and such a token is refused before any of it is decoded.
const MaxTokenBytes = server.MaxHeaderBytes

// The reasons a token is refused; each maps to a JSON error code.
var (
	ErrTokenMissing = errors.New("token_missing")
	ErrTokenInvalid = errors.New("token_invalid")
	ErrTokenExpired = errors.New("token_expired")
)

// Claims is what rt takes from a verified token.
type Claims struct {
	// Subject is the user id; nothing the client sends later overrides it.
	Subject string
	// ExpiresAt is zero when the token has no exp, else no later than the
	// year 9999 (see numericDate), so its UnixMilli never overflows.
	ExpiresAt time.Time
	// Rooms is the token's rooms claim: nil when absent (any room), else
	// the rooms it may join, where an entry ending in * is a prefix.
	Rooms []string
	// Raw is the whole payload, the JSON object as the issuer wrote it
	// (checked strictly like the rest), for the connect hook, which passes
	// the application's own claims on to its backend. A connection keeps
	// it only while a connect hook is configured.
	Raw jsontext.Value
}

// MayJoin reports whether the claims allow joining room.
func (c Claims) MayJoin(room string) bool {
	if c.Rooms == nil {
		return true
	}
	for _, r := range c.Rooms {
		if prefix, ok := strings.CutSuffix(r, "*"); ok && strings.HasPrefix(room, prefix) || r == room {
			return true
		}
	}
	return false
}

// Verifier checks a token and returns its claims, or one of the Err values.
type Verifier interface {
	Verify(token string) (Claims, error)
}

// JWT verifies tokens signed with the one configured algorithm.
type JWT struct {
	// parser decodes the segments; the checks jwt's ParseWithClaims made
	// are made here (token.go), each segment decoded once.
	parser *jwt.Parser
	// validator checks exp, nbf, iat, iss and aud with the parser's
	// options, as ParseWithClaims did.
	validator *jwt.Validator
	alg       string            // the one alg header accepted
	method    jwt.SigningMethod // alg's, for the keys that are not HMAC
	key       any               // []byte for HMAC, the parsed public key otherwise
	// macs holds keyed HMAC hashes to reuse (nil for other algorithms): a
	// fresh one costs six allocations and two hash blocks of key setup
	// per handshake.
	macs *sync.Pool
}

var _ Verifier = (*JWT)(nil)

// NewJWT accepts only cfg.JWTAlg: the token's alg header must equal it, so
// "none" and algorithm switching (an HS256 token "signed" with the RSA
// public key, say) are refused before the key is used. With JWT_REQUIRE_EXP
// a token without exp is invalid; JWT_ISSUER and JWT_AUDIENCE, when set,
// must match.
func NewJWT(cfg config.Config) (*JWT, error) {
	key, err := verificationKey(cfg)
	if err != nil {
		return nil, err
	}
	opts := parserOptions(cfg)
	method := jwt.GetSigningMethod(cfg.JWTAlg)
	if method == nil {
		return nil, fmt.Errorf("JWT_ALG %s is not an algorithm jwt knows", cfg.JWTAlg)
	}
	v := &JWT{parser: jwt.NewParser(opts...), validator: jwt.NewValidator(opts...),
		alg: cfg.JWTAlg, method: method, key: key}
	if m, ok := method.(*jwt.SigningMethodHMAC); ok {
		v.macs = newMACs(m.Hash, key.([]byte))
	}
	return v, nil
}

// parserOptions are the token rules cfg sets: the one algorithm, iat not
// in the future, and exp, iss, aud and the leeway as configured.
func parserOptions(cfg config.Config) []jwt.ParserOption {
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{cfg.JWTAlg}), jwt.WithIssuedAt()}
	if cfg.JWTRequireExp {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	if cfg.JWTIssuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.JWTIssuer))
	}
	if cfg.JWTAudience != "" {
		opts = append(opts, jwt.WithAudience(cfg.JWTAudience))
	}
	if cfg.JWTLeeway > 0 {
		opts = append(opts, jwt.WithLeeway(cfg.JWTLeeway))
	}
	return opts
}

// verificationKey is JWT_SECRET for HMAC, else JWT_PUBLIC_KEY parsed as the
// key type the algorithm needs.
func verificationKey(cfg config.Config) (any, error) {
	pem := []byte(cfg.JWTPublicKey)
	var key any
	var err error
	switch cfg.JWTAlg[:2] {
	case "HS":
		return []byte(cfg.JWTSecret), nil
	case "RS", "PS":
		key, err = jwt.ParseRSAPublicKeyFromPEM(pem)
	case "ES":
		key, err = jwt.ParseECPublicKeyFromPEM(pem)
	default: // EdDSA
		key, err = jwt.ParseEdPublicKeyFromPEM(pem)
	}
	if err != nil {
		return nil, fmt.Errorf("JWT_PUBLIC_KEY is not a public key for %s: %w", cfg.JWTAlg, err)
	}
	return key, nil
}

// Verify checks signature, alg, the header, exp, nbf, iat and the claims rt
// reads, all parsed strictly (see tokenClaims and checkHeader). A token
// longer than MaxTokenBytes is invalid unread.
func (v *JWT) Verify(token string) (Claims, error) {
	switch {
	case token == "":
		return Claims{}, ErrTokenMissing
	case len(token) > MaxTokenBytes:
		return Claims{}, ErrTokenInvalid
	}
	return v.verify(token)
}

// verify is Verify without the size cap.
func (v *JWT) verify(token string) (Claims, error) {
	rc, err := v.parse(token)
	return claimsOf(rc, err)
}

// claimsOf is the verdict on a parsed token: its claims, or the error a
// handshake answers with.
func claimsOf(rc tokenClaims, err error) (Claims, error) {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrTokenExpired
	case err != nil, rc.Subject == "":
		return Claims{}, ErrTokenInvalid
	}
	c := Claims{Subject: rc.Subject, Rooms: rc.Rooms, Raw: rc.raw}
	if rc.ExpiresAt != nil {
		c.ExpiresAt = rc.ExpiresAt.Time
	}
	return c, nil
}
