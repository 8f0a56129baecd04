package server

import (
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Locals keys that routes may set so the access line names the room and the
// user; the ws handshake sets them once the token is verified.
const (
	LocalRoom = "rt.room"
	LocalUser = "rt.user"
)

// access writes the access log to the app's logger. Every answer gets a
// line, except refusals (status 400 and up) past refusalLinesPerSecond of
// a kind, which refused only counts (see sampler).
type access struct {
	log     *slog.Logger
	refused *sampler
}

func newAccess(log *slog.Logger) access {
	a := access{log: log}
	a.refused = newSampler(a.suppressed)
	return a
}

// middleware writes one line per request: method, path, status, reason
// code, room and user when known, and duration. It logs the path only, never
// the query string or headers, so a token in ?token= or Authorization never
// reaches the log.
func (a access) middleware(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status, reason := c.Response().StatusCode(), ""
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status, reason = fe.Code, fe.Message
	} else if err != nil {
		status, reason = fiber.StatusInternalServerError, "internal"
	}
	var more []any
	for _, key := range []string{LocalRoom, LocalUser} {
		if v, ok := c.Locals(key).(string); ok {
			more = append(more, key[len("rt."):], v)
		}
	}
	a.line(c.Method(), c.Path(), status, reason, time.Since(start), more...)
	return err
}

// line writes the access line, the same for a routed request and for
// one refused before routing: method, path, status, duration, then the
// reason when there is one and any further pairs.
func (a access) line(method, path string, status int, reason string, took time.Duration, more ...any) {
	if status >= fiber.StatusBadRequest && !a.refused.admit(refusalKind{status, reason}) {
		return
	}
	attrs := []any{"method", method, "path", path, "status", status, "duration", took}
	if reason != "" {
		attrs = append(attrs, "reason", reason)
	}
	a.log.Info("access", append(attrs, more...)...)
}

// suppressed is the line that stands for the refusals of one kind left out
// of the log during one second.
func (a access) suppressed(k refusalKind, count int) {
	a.log.Info("access suppressed", "status", k.status, "reason", k.reason, "count", count, "within", time.Second)
}
