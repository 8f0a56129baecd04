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
	// pollers read the sockets; none when SOCKET_POLLER is false or the
	// system has no poller, and then each socket has a reading goroutine.
	pollers *pollers
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
	// The socket outlives the handler that fasthttp runs after the
	// upgrade (serve hands it to a poller and returns): fasthttp must not
	// close it then.
	app.Server().KeepHijackedConns = true
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

// serve runs on the goroutine fasthttp starts for the upgraded socket. It
// registers the socket, joins the room of the URL and hands the socket to
// a poller, then returns: fasthttp then frees its request context and read
// buffer, and the goroutine ends. An idle socket holds neither. (Without a
// poller, serve reads the socket until it ends, as one goroutine per
// socket.) Whatever way the socket is read, h.end runs once reading is over.
func (h *Handler) serve(ws *websocket.Conn) {
	p, f := h.pollers.next()
	c, since := h.accept(ws)
	if c.fd >= 0 {
		c.flush = f // else its writes wait in Go's runtime poller
	}
	if a := h.registry.add(c); a != admitted {
		c.Close(refusalClose(a))
		<-c.closed()
		h.stats.connClosed(c)
		_ = c.nc.Close()
		return
	}
	c.handle, c.ended = h.dispatch, func() { h.end(c) }
	buffered := unread(ws.NetConn(), c.nc)
	if !h.begin(c, since) {
		h.end(c)
		return
	}
	c.startReading(buffered, p)
}

// accept makes the Conn for an upgraded socket from what the checks
// before the upgrade left in its locals, which the library frees when
// serve returns.
func (h *Handler) accept(ws *websocket.Conn) (c *Conn, since string) {
	room, user := ws.Locals(auth.LocalRoom).(string), ws.Locals(auth.LocalUser).(string)
	c = newConn(tcpConn(ws.NetConn()), room, user, h.limits, h.stats, h.log)
	c.node = h.queues
	c.claims = h.hooked(ws.Locals(auth.LocalClaims).(auth.Claims))
	if h.hook != nil {
		c.remote, _ = ws.Locals(localRemote).(string)
	}
	c.resync = func() { h.resync(c) }
	c.requests.sayAll = func(ctx context.Context, said []sayRequest) { h.sayAll(ctx, c, said) }
	c.requests.joinAll = func(ctx context.Context, joins []joinRequest) { h.joinAll(ctx, c, joins) }
	since, _ = ws.Locals(auth.LocalSince).(string)
	return c, since
}

// begin joins the room of the URL, if any, and arms the token's clock; it
// reports false when the socket is to end at once.
func (h *Handler) begin(c *Conn, since string) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked(r)
			ok = false
		}
	}()
	if room := c.rooms.home; room != "" && !h.joinHome(c, room, since) {
		return false
	}
	c.token.set(c.claims.ExpiresAt, c)
	return true
}

// end is what follows the end of reading: the client's pending requests
// are served (its last messages go out), its rooms are left, the close is
// written and the TCP connection closed. The registry forgets the socket
// last, because shutdown waits for everything before.
func (h *Handler) end(c *Conn) {
	defer h.registry.remove(c)
	defer h.stats.connClosed(c)
	defer func() { _ = c.nc.Close() }()
	defer func() { <-c.closed() }() // the writer is done with the socket
	defer c.Close(protocol.CloseNormal, "")
	defer h.recoverConn(c) // a panic closes only this socket, with 1011
	defer h.leaveAll(c)
	c.token.stop()
	c.pages.abandon()   // history for a client that has gone is not worth reading
	c.requests.finish() // before the leaves: the client's last messages go out first
}

// joinHome joins the room of the URL, and recovers it from the since of the
// URL on the history lane: the recovery's replay is written as the client
// reads it. The connect hook was asked about the room with the handshake.
func (h *Handler) joinHome(c *Conn, room, since string) bool {
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
		c.panicked(r)
	}
}

// recoverUpgrade replaces the library's default recover, which writes the
// panic value to the client. serve recovers its own panics; this only
// catches what happens before serve has a Conn, and closes the socket,
// which fasthttp leaves to its handler.
func (h *Handler) recoverUpgrade(ws *websocket.Conn) {
	if r := recover(); r != nil {
		h.log.Error("panic in websocket upgrade", "panic", r)
		_ = tcpConn(ws.NetConn()).Close()
	}
}
