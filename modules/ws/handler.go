// Package ws is the transport of /ws/:room: the pre-upgrade checks from
// auth, then one socket per client with a reader, a single writer,
// heartbeat, idle timeout and limits. It reads and decodes frames, asks the
// hub to serve them and writes what comes back; rooms, presence and
// messages are the hub's business.
package ws

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/modules/auth"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/protocol"
)

// opTimeout bounds one hub call made for a client (join, publish, presence).
const opTimeout = 5 * time.Second

// readBufferBytes is each socket's read buffer (frames.go), held for its
// whole life: client frames are small, and a larger one is read in several
// calls.
const readBufferBytes = 1024

// Handler is the /ws/:room route.
type Handler struct {
	handshake *auth.Handshake
	verifier  auth.Verifier
	hub       *hub.Hub
	registry  *Registry
	queues    *nodeQueue // every socket's queued bytes, against MAX_QUEUED_BYTES
	stats     *stats
	limits    Limits
	log       *slog.Logger
	// limit is the per-address handshake limit; nil when HANDSHAKE_RATE is 0.
	limit *handshakeLimit
	// hook is the connect hook, asked before the upgrade and at each
	// room.join; nil without CONNECT_HOOK_URL. addrs names the client it
	// is told of.
	hook  hooks.Gate
	addrs clientAddrs
	// unusedWrites is the library's write-buffer pool. The library writes
	// nothing (the outbox does), but without a pool it allocates a 4 KiB
	// write buffer for every socket, kept for the socket's life.
	unusedWrites sync.Pool
}

// Register mounts the route: checks first, upgrade only if they pass. The
// per-address limit comes before every other check, so a refused
// handshake costs no token parsing; the connect hook comes last, so the
// application's backend is asked only about handshakes rt would accept.
func (h *Handler) Register(app *fiber.App) {
	chain := []fiber.Handler{h.stats.handshake}
	if h.limit != nil {
		chain = append(chain, h.limit.check)
	}
	chain = append(chain, h.handshake.Check, h.admit)
	if h.hook != nil {
		chain = append(chain, h.gate)
	}
	chain = append(chain, upgrade(websocket.New(h.serve, websocket.Config{
		// The library neither reads nor writes frames (frames.go reads, the
		// outbox writes): its read buffer, allocated anyway, is the
		// smallest it takes, and it borrows a write buffer it never uses.
		ReadBufferSize:  maxControlBytes,
		WriteBufferPool: &h.unusedWrites,
		RecoverHandler:  h.recoverUpgrade,
	})))
	app.Get("/ws", chain...)
	app.Get("/ws/*", chain...)
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
	room, user := ws.Locals(auth.LocalRoom).(string), ws.Locals(auth.LocalUser).(string)
	c := newConn(ws, room, user, h.limits, h.stats, h.log)
	c.node = h.queues
	c.claims = h.hooked(ws.Locals(auth.LocalClaims).(auth.Claims))
	if h.hook != nil {
		c.remote, _ = ws.Locals(localRemote).(string)
	}
	c.resync = func() { h.resync(c) }
	c.requests.sayAll = func(ctx context.Context, said []sayRequest) { h.sayAll(ctx, c, said) }
	c.requests.joinAll = func(ctx context.Context, joins []joinRequest) { h.joinAll(ctx, c, joins) }
	if a := h.registry.add(c); a != admitted {
		c.Close(refusalClose(a))
		<-c.closed()
		h.stats.connClosed(c)
		return
	}
	defer h.registry.remove(c) // last: shutdown waits for everything below
	defer h.stats.connClosed(c)
	defer func() { <-c.closed() }() // the writer is done with the socket
	defer c.Close(protocol.CloseNormal, "")
	defer h.recoverConn(c) // first: a panic closes only this socket, with 1011
	defer h.leaveAll(c)
	if room != "" && !h.joinHome(c, room) {
		return
	}
	defer c.requests.finish() // before the leaves: the client's last messages go out first
	defer c.pages.abandon()   // history for a client that has gone is not worth reading
	c.token.set(c.claims.ExpiresAt, c)
	defer c.token.stop()
	c.readLoop(h.dispatch)
}

// joinHome joins the room of the URL, and recovers it from the since of the
// URL on the history lane, after the reader has started: a client that
// closes right after its 101 is closing before its replay is read. The
// connect hook was asked about the room with the handshake.
func (h *Handler) joinHome(c *Conn, room string) bool {
	since, _ := c.ws.Locals(auth.LocalSince).(string)
	client := hub.Client{Room: room, User: c.user, Member: c, Since: since}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	joins, errs := h.hub.JoinAll(ctx, []hub.Client{client})
	if errs[0] != nil {
		h.log.Error("join failed", "room", room, "err", errs[0])
		c.Close(protocol.CloseInternal, "join failed")
		return false
	}
	mb, _, _ := c.rooms.add(room, 1)
	mb.joined(joins[0])
	if since != "" {
		h.recover(c, client)
	}
	return true
}

// recoverConn logs a panic of this connection's handler once and closes
// the socket with 1011; other connections are not affected.
func (h *Handler) recoverConn(c *Conn) {
	if r := recover(); r != nil {
		h.log.Error("panic in websocket handler", "panic", r, "rooms", c.rooms.names())
		c.Close(protocol.CloseInternal, "internal error")
	}
}

// recoverUpgrade replaces the library's default recover, which writes the
// panic value to the client. serve recovers its own panics; this only
// catches what happens before serve runs.
func (h *Handler) recoverUpgrade(*websocket.Conn) {
	if r := recover(); r != nil {
		h.log.Error("panic in websocket upgrade", "panic", r)
	}
}
