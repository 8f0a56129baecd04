package auth

import (
	"strings"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/server"

	"github.com/rtserver/rt/modules/protocol"
)

// Module provides the Verifier, the Origins and the Handshake middleware.
var Module = fx.Module("auth",
	fx.Provide(fx.Annotate(NewJWT, fx.As(new(Verifier))), NewOrigins, NewHandshake),
)

// Locals keys under which an accepted handshake leaves its results for the
// socket handler (string keys: the websocket middleware copies only those).
// LocalUser and LocalRoom are the server's keys, so the access log names them.
const (
	LocalUser   = server.LocalUser
	LocalRoom   = server.LocalRoom
	LocalClaims = "rt.claims"
	LocalSince  = "rt.since" // the since parameter, "" when absent or empty
)

// Handshake is the pre-upgrade check of /ws/:room.
type Handshake struct {
	verifier Verifier
	origins  *Origins
}

// NewHandshake builds the middleware from its two checks.
func NewHandshake(v Verifier, o *Origins) *Handshake {
	return &Handshake{verifier: v, origins: o}
}

// Check rejects the request with the first rule of SPEC §3 it breaks, in
// that order, and never echoes the token. It must run before the upgrade.
// /ws, without a room, opens a connection in no room (SPEC §10): the same
// checks but the room's.
func (h *Handshake) Check(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return fiber.NewError(fiber.StatusUpgradeRequired, "upgrade_required")
	}
	room, roomless := roomAsWritten(c), c.Path() == "/ws"
	if !roomless && !protocol.ValidRoom(room) {
		return fiber.NewError(fiber.StatusBadRequest, "bad_room")
	}
	c.Locals(LocalRoom, utils.CopyString(room))
	since, ok := sinceParam(c)
	if !ok || (roomless && since != "") { // without a room, since is per room.join
		return fiber.NewError(fiber.StatusBadRequest, "bad_since")
	}
	c.Locals(LocalSince, since)
	if !h.origins.Allowed(c.Get(fiber.HeaderOrigin)) {
		return fiber.NewError(fiber.StatusForbidden, "origin_not_allowed")
	}
	if n, _ := queryArg(c, "token"); n > 1 {
		// Two tokens: which one a proxy or a log would see is anyone's guess.
		return fiber.NewError(fiber.StatusUnauthorized, ErrTokenInvalid.Error())
	}
	claims, err := h.verifier.Verify(token(c))
	if err != nil {
		return fiber.NewError(fiber.StatusUnauthorized, err.Error())
	}
	if !roomless && !claims.MayJoin(room) {
		return fiber.NewError(fiber.StatusForbidden, "room_forbidden")
	}
	c.Locals(LocalUser, claims.Subject)
	c.Locals(LocalClaims, claims)
	return c.Next()
}

// roomAsWritten is the whole rest of the path after the route's prefix, so
// "a/b" is a bad room, not a 404. Fiber's non-strict routing matches
// "/ws/lobby/" as "/ws/lobby" and leaves the trailing slashes out of the
// parameter; they are put back, so "lobby/" is refused rather than taken
// for "lobby". (The path is the one written: Fiber neither unescapes it nor
// collapses "//", so those reach the room name too.)
func roomAsWritten(c *fiber.Ctx) string {
	path := c.Path()
	return c.Params("*") + path[len(strings.TrimRight(path, "/")):]
}

// sinceParam reads ?since=, the id of the last message a reconnecting
// client had: absent or empty is no recovery; more than one, or anything
// but a message id, is refused.
func sinceParam(c *fiber.Ctx) (string, bool) {
	n, value := queryArg(c, "since")
	switch {
	case n == 0:
		return "", true
	case n > 1:
		return "", false
	case len(value) == 0:
		return "", true
	}
	since := string(value)
	return since, protocol.ValidID(since)
}

// queryArg reports how many times the query names key, and the first
// value, without collecting them (PeekMulti allocates a slice).
func queryArg(c *fiber.Ctx, key string) (n int, first []byte) {
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if string(k) == key {
			if n == 0 {
				first = v
			}
			n++
		}
	})
	return n, first
}

// token reads ?token= or, failing that, an Authorization: Bearer header.
func token(c *fiber.Ctx) string {
	return TokenFrom(c.Query("token"), c.Get(fiber.HeaderAuthorization))
}

// TokenFrom picks the token from the query value or, when that is empty, a
// "Bearer <token>" Authorization value; "" when there is none.
func TokenFrom(query, authorization string) string {
	if query != "" {
		return query
	}
	scheme, t, ok := strings.Cut(authorization, " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(t)
	}
	return ""
}
