package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// key checks the Authorization header against API_KEY. It keeps only the
// key's SHA-256, and compares digests in constant time, so neither the
// key's bytes nor its length can be learned from how long a refusal takes.
type key [sha256.Size]byte

func newKey(apiKey string) key { return sha256.Sum256([]byte(apiKey)) }

// allows reports whether header is "Bearer <API_KEY>" (the scheme in any
// case, as RFC 9110 has it).
func (k key) allows(header string) bool {
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimLeft(cred, " ")))
	return subtle.ConstantTimeCompare(got[:], k[:]) == 1
}

// errUnauthorized answers a missing key, a wrong one and another scheme
// alike, so a caller learns nothing about which.
var errUnauthorized = fiber.NewError(fiber.StatusUnauthorized, "unauthorized")

// authorize is the first handler of every route but the OpenAPI document.
func (k key) authorize(c *fiber.Ctx) error {
	if !k.allows(string(c.Request().Header.Peek(fiber.HeaderAuthorization))) {
		c.Set(fiber.HeaderWWWAuthenticate, "Bearer")
		return errUnauthorized
	}
	return c.Next()
}
