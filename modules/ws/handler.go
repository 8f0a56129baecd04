// Package ws serves /ws/:room: the pre-upgrade checks from auth, then one
// socket per client with a reader, a single writer, heartbeat, idle timeout,
// room membership and presence.
package ws

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"rt/modules/auth"
	"rt/modules/presence"
	"rt/modules/protocol"
	"rt/modules/rooms"
)

// opTimeout bounds one presence or publish call made for a client.
const opTimeout = 5 * time.Second

// Handler is the /ws/:room route.
type Handler struct {
	handshake *auth.Handshake
	verifier  auth.Verifier
	rooms     *rooms.Manager
	presence  *presence.Tracker
	registry  *Registry
	stats     *stats
	limits    Limits
}

// Register mounts the route: checks first, upgrade only if they pass.
func (h *Handler) Register(app *fiber.App) {
	app.Get("/ws/*", h.stats.handshake, h.handshake.Check, h.admit, upgrade(websocket.New(h.serve, websocket.Config{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		RecoverHandler:  recoverConn,
	})))
}

// upgrade gives the upgrader's own refusal (a request that passed the checks
// but is not a valid WebSocket handshake, e.g. no Sec-WebSocket-Key) a code
// like every other refusal instead of the library's plain "Upgrade Required".
func upgrade(next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := next(c)
		if errors.Is(err, fiber.ErrUpgradeRequired) {
			return fiber.NewError(fiber.StatusUpgradeRequired, "bad_upgrade")
		}
		return err
	}
}

// serve runs for the whole life of one socket; it must not return before
// the writer has stopped, because the library reuses the socket afterwards.
func (h *Handler) serve(ws *websocket.Conn) {
	entry := presence.Entry{
		Room: ws.Locals(auth.LocalRoom).(string),
		User: ws.Locals(auth.LocalUser).(string),
		Conn: protocol.NewID(),
	}
	c := newConn(ws, entry, h.limits, h.stats)
	if a := h.registry.add(c); a != admitted {
		c.Close(refusalClose(a))
		c.writeLoop(make(chan struct{}))
		h.stats.connClosed(c)
		return
	}
	defer h.registry.remove(c) // last: shutdown waits for everything below
	defer h.stats.connClosed(c)
	writerDone := make(chan struct{})
	go c.writeLoop(writerDone)
	defer func() { <-writerDone }()
	defer c.Close(protocol.CloseNormal, "")
	defer recoverPanic(c) // first: a panic closes only this socket, with 1011
	if err := h.join(c); err != nil {
		slog.Error("join failed", "room", entry.Room, "err", err)
		c.Close(protocol.CloseInternal, "join failed")
		return
	}
	defer h.leave(c)
	defer c.requests.finish() // before the leave: the client's last messages go out first
	c.token.set(ws.Locals(auth.LocalClaims).(auth.Claims).ExpiresAt, c)
	defer c.token.stop()
	c.readLoop(h.dispatch)
}

// join subscribes the member before announcing it, so the joiner sees its
// own presence.join like everyone else.
func (h *Handler) join(c *Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := h.rooms.Join(ctx, c.entry.Room, c); err != nil {
		return err
	}
	first, err := h.presence.Join(ctx, c.entry)
	if err != nil {
		h.rooms.Leave(c.entry.Room, c)
		return err
	}
	if first {
		h.announce(ctx, c.entry.Room, protocol.PresenceJoin(c.entry.Room, c.entry.User, protocol.Now()))
	}
	return nil
}

func (h *Handler) leave(c *Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	last, err := h.presence.Leave(ctx, c.entry)
	if err != nil {
		slog.Warn("presence leave failed; the entry will expire", "room", c.entry.Room, "err", err)
	}
	h.rooms.Leave(c.entry.Room, c)
	if last {
		h.announce(ctx, c.entry.Room, protocol.PresenceLeave(c.entry.Room, c.entry.User, protocol.Now()))
	}
}

func (h *Handler) announce(ctx context.Context, room string, frame []byte) {
	if err := h.rooms.Publish(ctx, room, frame); err != nil {
		slog.Warn("presence announce failed", "room", room, "err", err)
	}
}

// recoverPanic logs a panic of this connection's handler once and closes
// the socket with 1011; other connections are not affected.
func recoverPanic(c *Conn) {
	if r := recover(); r != nil {
		slog.Error("panic in websocket handler", "panic", r, "room", c.entry.Room)
		c.Close(protocol.CloseInternal, "internal error")
	}
}

// recoverConn replaces the library's default recover, which writes the
// panic value to the client. serve recovers its own panics; this only
// catches what happens before serve runs.
func recoverConn(*websocket.Conn) {
	if r := recover(); r != nil {
		slog.Error("panic in websocket upgrade", "panic", r)
	}
}
