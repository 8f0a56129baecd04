package ws

import (
	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/modules/auth"
	"github.com/rtserver/rt/modules/protocol"
)

// admit refuses, before the upgrade, a socket the registry has no room for:
// 429 when the user is at MAX_CONNS_PER_USER, 503 when the node is at
// MAX_CONNS or shutting down. It runs after the handshake checks, so the user
// is known.
func (h *Handler) admit(c *fiber.Ctx) error {
	user, _ := c.Locals(auth.LocalUser).(string)
	switch h.registry.admit(user) {
	case userFull:
		return fiber.NewError(fiber.StatusTooManyRequests, "too_many_connections")
	case nodeFull:
		return fiber.NewError(fiber.StatusServiceUnavailable, "server_full")
	case draining:
		return fiber.NewError(fiber.StatusServiceUnavailable, "shutting_down")
	}
	return c.Next()
}

// refusalClose is the close for a socket that passed admit but lost a race
// for the last slot to a concurrent handshake.
func refusalClose(a admission) (int, string) {
	if a == draining {
		return protocol.CloseGoingAway, "server shutting down"
	}
	return protocol.ClosePolicy, "too many connections"
}
