// Command token prints a signed development JWT for a user, so a client can
// connect to a local rt: go run ./cmd/token -sub alice
//
// It signs with JWT_SECRET and JWT_ALG from the environment (the same
// defaults as the server), so the token matches a server started alongside.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/config"
)

func main() {
	sub := flag.String("sub", "u1", "user id (the sub claim)")
	ttl := flag.Duration("ttl", 24*time.Hour, "lifetime; 0 means no exp claim")
	flag.Parse()
	tok, err := sign(*sub, *ttl, time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, "token:", err)
		os.Exit(1)
	}
	fmt.Println(tok)
}

func sign(sub string, ttl time.Duration, now time.Time) (string, error) {
	cfg, err := config.FromOS()
	if err != nil {
		return "", err
	}
	if cfg.Asymmetric() {
		return "", fmt.Errorf("JWT_ALG=%s signs with a private key, which rt never holds; sign with your issuer", cfg.JWTAlg)
	}
	claims := jwt.MapClaims{"sub": sub, "iat": now.Unix()}
	if ttl > 0 {
		claims["exp"] = now.Add(ttl).Unix()
	}
	method := jwt.GetSigningMethod(cfg.JWTAlg)
	return jwt.NewWithClaims(method, claims).SignedString([]byte(cfg.JWTSecret))
}
