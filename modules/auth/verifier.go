// Package auth decides, before any upgrade, whether a WebSocket handshake
// may proceed: the room name, the Origin and the JWT (SPEC §3).
package auth

import (
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"rt/config"
)

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
	// ExpiresAt is zero when the token has no exp.
	ExpiresAt time.Time
	// Rooms is the token's rooms claim: nil when absent (any room), else
	// the rooms it may join, where an entry ending in * is a prefix.
	Rooms []string
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

// tokenClaims is what rt reads from a token's payload.
type tokenClaims struct {
	jwt.RegisteredClaims
	Rooms []string `json:"rooms"`
}

// Verifier checks a token and returns its claims, or one of the Err values.
type Verifier interface {
	Verify(token string) (Claims, error)
}

// JWT verifies tokens signed with one configured HMAC algorithm.
type JWT struct {
	parser *jwt.Parser
	key    []byte
}

var _ Verifier = (*JWT)(nil)

// NewJWT accepts only cfg.JWTAlg: the token's alg header must equal it, so
// "none" and algorithm switching are refused before the key is used.
// With JWT_REQUIRE_EXP a token without exp is invalid.
func NewJWT(cfg config.Config) *JWT {
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{cfg.JWTAlg}), jwt.WithIssuedAt()}
	if cfg.JWTRequireExp {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	return &JWT{parser: jwt.NewParser(opts...), key: []byte(cfg.JWTSecret)}
}

// Verify checks signature, alg, exp, nbf, iat and a non-empty string sub.
func (v *JWT) Verify(token string) (Claims, error) {
	if token == "" {
		return Claims{}, ErrTokenMissing
	}
	var rc tokenClaims
	_, err := v.parser.ParseWithClaims(token, &rc, func(*jwt.Token) (any, error) { return v.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrTokenExpired
	case err != nil, rc.Subject == "":
		return Claims{}, ErrTokenInvalid
	}
	c := Claims{Subject: rc.Subject, Rooms: rc.Rooms}
	if rc.ExpiresAt != nil {
		c.ExpiresAt = rc.ExpiresAt.Time
	}
	return c, nil
}
