package client

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// tokenExp reads the exp claim of a JWT without verifying it: the client
// only needs to know when to refresh, and the server verifies. ok is false
// for a token without a readable numeric exp (it then never refreshes).
func tokenExp(token string) (exp time.Time, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.RawMessage `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || len(claims.Exp) == 0 {
		return time.Time{}, false
	}
	// A JSON number only, as the server reads it: not "123", not null.
	if c := claims.Exp[0]; c != '-' && (c < '0' || c > '9') {
		return time.Time{}, false
	}
	secs, err := strconv.ParseFloat(string(claims.Exp), 64)
	if err != nil || secs <= 0 || secs > 253402300799 {
		return time.Time{}, false
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)), true
}

// refreshDelay is how long after now a token expiring at exp is refreshed:
// when remaining - min(30s, remaining/4) has passed, which leaves a quarter
// of a short token's life, and 30 s of a long one's, for the round trip.
func refreshDelay(now, exp time.Time) time.Duration {
	remaining := exp.Sub(now)
	if remaining <= 0 {
		return 0
	}
	return remaining - min(30*time.Second, remaining/4)
}

// refreshRetry is when a refresh whose GetToken failed transiently is tried
// again, or false when that would be at or past exp: then the server's 4001
// decides, and the reconnect asks GetToken again.
func refreshRetry(now, exp time.Time) (time.Duration, bool) {
	const wait = time.Second
	if !now.Add(wait).Before(exp) {
		return 0, false
	}
	return wait, true
}

// expired reports whether tok has an exp and it is not after now.
func expired(tok string, now time.Time) bool {
	exp, ok := tokenExp(tok)
	return ok && !exp.After(now)
}
