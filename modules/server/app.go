package server

import (
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/config"
)

// handshakeTimeout bounds reading a request, the WebSocket handshake included
// (the upgrader's own HandshakeTimeout does nothing on fasthttp).
const handshakeTimeout = 10 * time.Second

// Request size limits. fasthttp reads a request's body before any handler
// runs, on every method and path (GET /ws/... included): as soon as it has
// the headers it allocates the whole announced Content-Length, up to the body
// limit, and holds it while it waits, up to handshakeTimeout, for a body that
// may never come. A declared length over the limit is refused (413) before
// anything is allocated; a chunked body is checked chunk by chunk before
// each chunk is read, and an Expect: 100-continue request is checked the same
// way once fasthttp has answered 100. Fiber's default limit, 4 MiB, let
// every connection pin 4 MiB with one line of headers.
const (
	// maxBodyBytes: no route of the public port reads a body (POST
	// /demo/origin sends none), so a few KiB is plenty there; the server
	// API, a listener of its own, has its own limit.
	maxBodyBytes = 4 << 10
	// MaxHeaderBytes is the read buffer every connection gets, and so the
	// largest request line plus headers (431 beyond it): room for a token in
	// ?token= and a browser's usual headers. It is also the longest token
	// rt verifies anywhere (auth.MaxTokenBytes).
	MaxHeaderBytes = 4 << 10
)

// NewApp is a Fiber app with this server's limits and behaviour, for the
// public port and for any other listener (the server API): request line and
// headers up to 4 KiB, bodies up to bodyLimit bytes, a request read within
// 10 s, every error answered as {"error":"<code>"}, requests refused before
// routing answered, logged and counted in refused, and one access line per
// request, written to log (refusals sampled: see access).
func NewApp(cfg config.Config, refused *Refusals, log *slog.Logger, bodyLimit int) *fiber.App {
	acc := newAccess(log)
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ReadTimeout:           handshakeTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           time.Minute,
		ErrorHandler:          jsonError,
		BodyLimit:             bodyLimit,
		ReadBufferSize:        MaxHeaderBytes,
		// No route reads a form: fasthttp would otherwise parse a multipart
		// body while reading it, before any route is chosen.
		DisablePreParseMultipartForm: true,
	})
	// fasthttp calls its ErrorHandler only for requests it could not read,
	// before routing. Fiber's own there neither logs nor counts, and answers
	// a malformed request with fasthttp's error text, which quotes the raw
	// request (?token= included).
	app.Server().ErrorHandler = refuser{app: app, refused: refused, access: acc}.refuse
	app.Use(acc.middleware)
	return app
}

// jsonError answers every error as {"error":"<code>"}: a *fiber.Error's
// message is the code, a *ReasonedError adds its reason; anything else is
// an internal error whose text stays in the log.
func jsonError(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	var re *ReasonedError
	if errors.As(err, &re) {
		return c.Status(re.Status).JSON(fiber.Map{"error": re.Code, "reason": re.Reason})
	}
	if errors.As(err, &fe) {
		return c.Status(fe.Code).JSON(fiber.Map{"error": fe.Message})
	}
	return c.Status(fiber.StatusInternalServerError).JSON(fiber.Map{"error": "internal"})
}

// ReasonedError is a refusal that tells the client why in words besides
// its code: {"error":"<code>","reason":"<reason>"}. The reason comes from
// elsewhere (the application's backend, already made safe to show); the
// access line and the metrics see the code only, as for a *fiber.Error,
// which it unwraps to.
type ReasonedError struct {
	Status int
	Code   string
	Reason string
}

func (e *ReasonedError) Error() string { return e.Code }

// Unwrap is the *fiber.Error of the same status and code.
func (e *ReasonedError) Unwrap() error { return fiber.NewError(e.Status, e.Code) }
