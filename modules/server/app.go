package server

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"rt/config"
)

// handshakeTimeout bounds reading a request, the WebSocket handshake included
// (the upgrader's own HandshakeTimeout does nothing on fasthttp).
const handshakeTimeout = 10 * time.Second

func newApp(cfg config.Config) *fiber.App {
	return fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ReadTimeout:           handshakeTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           time.Minute,
		ErrorHandler:          jsonError,
	})
}

// jsonError answers every error as {"error":"<code>"}: a *fiber.Error's
// message is the code; anything else is an internal error whose text stays in the log.
func jsonError(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return c.Status(fe.Code).JSON(fiber.Map{"error": fe.Message})
	}
	return c.Status(fiber.StatusInternalServerError).JSON(fiber.Map{"error": "internal"})
}
