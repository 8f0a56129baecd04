package ws

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"

	"rt/modules/presence"
	"rt/modules/protocol"
)

// closeGrace is how long a closing connection waits for the peer's close
// reply after sending its own close frame.
const closeGrace = time.Second

// Conn is one accepted WebSocket. Exactly one goroutine (writeLoop) writes
// to the socket; everything else queues frames with Send, which never blocks.
type Conn struct {
	ws       *websocket.Conn
	entry    presence.Entry // Room, User (the token's sub) and this conn's id
	limits   Limits
	stats    *stats
	out      chan []byte
	closing  chan struct{} // closed once a close has been decided
	once     sync.Once
	code     int // close code, set once before closing is closed
	reason   string
	deadline sync.Mutex // orders read-deadline changes with the close decision
	token    tokenClock // closes with 4001 when the token expires
}

// Limits are the per-connection settings taken from config.
type Limits struct {
	MaxFrameBytes int
	MaxTextBytes  int
	SendQueue     int
	Heartbeat     time.Duration
	Idle          time.Duration
	WriteTimeout  time.Duration
	Rate          float64 // frames per second on average
	Burst         int
	RateWarnings  int // rate_limited answers per minute before 1008
	TokenLeeway   time.Duration
}

func newConn(ws *websocket.Conn, entry presence.Entry, l Limits, s *stats) *Conn {
	return &Conn{
		ws:      ws,
		entry:   entry,
		limits:  l,
		stats:   s,
		token:   tokenClock{leeway: l.TokenLeeway},
		out:     make(chan []byte, l.SendQueue),
		closing: make(chan struct{}),
	}
}

// Send queues frame for this client and reports whether it did. A full
// queue means the client is not keeping up: it is closed with 4002 and the
// frame is dropped.
func (c *Conn) Send(frame []byte) bool {
	select {
	case <-c.closing:
		return false
	default:
	}
	select {
	case c.out <- frame:
		return true
	default:
		c.Close(protocol.CloseTooSlow, "too slow to keep up")
		return false
	}
}

// Close decides to close with code; the writer sends the close frame and
// the reader stops after the peer answers or closeGrace passes. Only the
// first call counts.
func (c *Conn) Close(code int, reason string) {
	c.once.Do(func() {
		c.deadline.Lock()
		defer c.deadline.Unlock()
		c.code, c.reason = code, reason
		close(c.closing)
		_ = c.ws.NetConn().SetReadDeadline(time.Now().Add(closeGrace + c.limits.WriteTimeout))
	})
}

// extendIdle pushes the idle deadline forward: any frame from the client,
// control frames included, counts as activity.
func (c *Conn) extendIdle() {
	c.deadline.Lock()
	defer c.deadline.Unlock()
	select {
	case <-c.closing:
	default:
		_ = c.ws.NetConn().SetReadDeadline(time.Now().Add(c.limits.Idle))
	}
}

// closeCodeFor maps a read error to the close the server sends, if any.
func closeCodeFor(err error) (int, string) {
	var ne net.Error
	switch {
	case errors.Is(err, errReadLimit):
		return protocol.CloseTooLarge, "frame too large"
	case errors.As(err, &ne) && ne.Timeout():
		return protocol.CloseIdle, "idle timeout"
	default:
		return protocol.CloseNormal, ""
	}
}
