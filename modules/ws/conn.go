package ws

import (
	"log/slog"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtserver/rt/modules/auth"
	"github.com/rtserver/rt/modules/protocol"
)

// closeGrace is how long a closing connection waits for the peer's close
// reply after its own close frame has been written.
const closeGrace = time.Second

// Conn is one accepted WebSocket. Its bytes are read when they arrive, by
// a poller's goroutine (poller_linux.go) or by a goroutine of its own
// (reader.go); frames to send are queued with Send (never blocking) and
// written by a writer goroutine that runs only while something waits
// (outbox).
type Conn struct {
	nc       net.Conn    // the TCP connection, owned by this Conn after the upgrade
	user     string      // the token's sub
	rooms    roomSet     // the rooms it is in or joining
	claims   auth.Claims // the token's (the last refreshed one's), for room.join
	remote   string      // the client's address, kept for the connect hook only
	log      *slog.Logger
	limits   Limits
	stats    *stats
	node     *nodeQueue // the node's count of queued bytes; nil counts nothing
	box      outbox
	closing  chan struct{} // closed once a close has been decided
	once     sync.Once
	end      ending     // how the connection ends; set once before closing is closed
	deadline readClock  // when the reader gives up: idle, or the close's grace
	token    tokenClock // closes with 4001 when the token expires
	requests requests   // publishes and presence reads, off the reader
	pages    requests   // history pages and the recovery's replay, off the reader
	// history is the user's allowance of history reads on this node,
	// shared with their other sockets here (set by the registry).
	history *historyAllowance

	// Reader state, used only under readMu: by the goroutine that has
	// bytes to serve, or by the read clock once it has run out.
	readMu      sync.Mutex
	poll        *poller  // the poller reading it; nil when a goroutine of its own reads
	fd          int      // the TCP socket's descriptor; -1 for another kind of connection
	flush       *flusher // writes c's frames without a goroutine of c's own; nil without pollers
	handle      func(*Conn, []byte)
	frames      *frameReader
	guard       *floodGuard
	discardLeft int64 // bytes still read and dropped while closing
	readEnd     readEnd
	// ended runs once reading is over, on a goroutine of its own when the
	// poller read: the rest of the connection's end (leaves, the close).
	ended func()

	// unsent is set by the writer when a close the server decided could not
	// be written (the peer is gone or stuck); read once the box is settled.
	unsent string

	// stale is set when a presence frame found the queue full and was
	// dropped; until the writer has caught up and resync has queued a fresh
	// presence.state, later presence frames are dropped too.
	stale  atomic.Bool
	resync func()
}

// Limits are the per-connection settings taken from config.
type Limits struct {
	MaxFrameBytes int
	SendQueue     int
	// SendQueueBytes bounds the bytes waiting for one socket; 0 or less
	// means no bound (a Conn built in a test).
	SendQueueBytes int
	// PageEntries is how many messages a recovery reads at a time; 0 or
	// less means 100.
	PageEntries  int
	Heartbeat    time.Duration
	Idle         time.Duration
	WriteTimeout time.Duration
	Rate         float64 // frames per second on average
	Burst        int
	RateWarnings int // rate_limited answers per minute before 1008
	TokenLeeway  time.Duration
	// MaxRooms is MAX_ROOMS_PER_CONN; 0 or less means 100.
	MaxRooms int
}

func newConn(nc net.Conn, room, user string, l Limits, s *stats, log *slog.Logger) *Conn {
	c := &Conn{
		nc:          nc,
		fd:          descriptor(nc),
		user:        user,
		rooms:       roomSet{home: room},
		log:         log,
		limits:      l,
		stats:       s,
		token:       tokenClock{leeway: l.TokenLeeway},
		closing:     make(chan struct{}),
		guard:       newFloodGuard(l),
		frames:      newFrameReader(l.MaxFrameBytes),
		discardLeft: discardBudget,
	}
	if c.limits.SendQueueBytes <= 0 {
		c.limits.SendQueueBytes = math.MaxInt
	}
	if c.limits.PageEntries <= 0 {
		c.limits.PageEntries = 100
	}
	if c.limits.MaxRooms <= 0 {
		c.limits.MaxRooms = 100
	}
	c.box.done = make(chan struct{})
	c.requests.init(c, max(minPendingRequests, l.Burst), opTimeout)
	c.pages.init(c, maxPendingPages, 0)
	return c
}

// Send queues frame for this client and reports whether it did. A full
// queue means the client is not keeping up: it is closed with 4002 and the
// frame is dropped.
func (c *Conn) Send(frame []byte) bool {
	queued, full := c.queue(frame)
	if full {
		c.Close(protocol.CloseTooSlow, "too slow to keep up")
	}
	return queued
}

// Replay queues a frame read back from history beyond the bound of the
// queue's frames: a recovery's replay or a gap fill is at most HISTORY_SIZE
// messages (and history.recovered), and the live frames queued behind it
// still have SEND_QUEUE to themselves (outbox.replayed). Its bytes do count
// toward SEND_QUEUE_BYTES: a recovery comes in pages that wait for room,
// and a gap fill larger than the client's queue closes it with 4002, to
// come back with since and recover in pages.
func (c *Conn) Replay(frame []byte) bool {
	queued, full := c.queueReplay(frame)
	if full {
		c.Close(protocol.CloseTooSlow, "too slow to keep up")
	}
	return queued
}

// Signal queues a room.signal unless it comes from this connection's own
// user or the queue is half full: a signal is a passing state (typing, a
// cursor), dropped rather than queued past that, and never a reason to
// close the client, nor what fills its queue for the next chat message.
func (c *Conn) Signal(frame []byte, from string) bool {
	return from != c.user && c.queueSpare(frame)
}

// answer sends the system.error for err, carrying ref.
func (c *Conn) answer(ref string, err *protocol.Error) {
	c.Send(protocol.WithRef(protocol.ErrorFrame(err.Code, err.Message), ref))
}

// SendState queues a presence frame and reports whether it did. Presence
// is state, not a stream the client must keep up with: a full queue never
// closes the client for it. The frame is dropped instead, so are the ones
// after it, and once the writer has emptied the queue the client gets a
// fresh presence.state.
func (c *Conn) SendState(frame []byte) bool {
	return !c.stale.Load() && c.sendPicture(frame)
}

// sendPicture queues a presence frame whatever came before it (a
// presence.state is the whole picture of the room): a full queue leaves the
// client stale, to get another picture once the queue has emptied.
func (c *Conn) sendPicture(frame []byte) bool {
	queued, full := c.queue(frame)
	if full {
		c.stale.Store(true)
	}
	return queued
}

// ping queues a heartbeat unless the queue is full: a client with that much
// to read has no need of one.
func (c *Conn) ping(frame []byte) { c.queue(frame) }

// caughtUp runs on the writer whenever its queue is empty: a client that
// missed presence frames gets the room's whole picture again.
func (c *Conn) caughtUp() {
	if c.stale.CompareAndSwap(true, false) && c.resync != nil {
		c.resync()
	}
}

// Close decides to close with code; the writer sends the close frame and
// the reader stops after the peer answers or the close deadline passes.
// Only the first decision counts.
func (c *Conn) Close(code int, reason string) {
	c.decide(ending{code: code, text: reason, why: closeReasons[code]})
}

// decide records how the connection ends. The reader gets long enough for
// the writer to write the close frame (WRITE_TIMEOUT) and then to read the
// peer's close reply (closeGrace); closeWritten shortens that once the close
// frame is out, and a failed write ends the reader at once.
func (c *Conn) decide(e ending) {
	c.once.Do(func() {
		c.deadline.mu.Lock()
		c.box.mu.Lock()
		c.end = e
		close(c.closing)
		c.startWriterLocked() // to flush and write the close
		c.box.mu.Unlock()
		c.deadline.setLocked(time.Now().Add(c.limits.WriteTimeout + closeGrace))
		c.deadline.mu.Unlock()
	})
}

// panicked closes a socket whose frame's handling panicked, with 1011;
// the others are not affected.
func (c *Conn) panicked(r any) {
	c.log.Error("panic in websocket handler", "panic", r, "rooms", c.rooms.names())
	c.Close(protocol.CloseInternal, "internal error")
}

// closed is closed once the close has been written, or could not be.
func (c *Conn) closed() <-chan struct{} { return c.box.done }

func (c *Conn) isClosing() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// extendIdle pushes the idle deadline forward: any frame from the client,
// control frames included, counts as activity.
func (c *Conn) extendIdle() {
	c.deadline.mu.Lock()
	defer c.deadline.mu.Unlock()
	if !c.isClosing() {
		c.deadline.setLocked(time.Now().Add(c.limits.Idle))
	}
}

// closeWritten gives the peer closeGrace to answer the close frame just written.
func (c *Conn) closeWritten() {
	c.deadline.mu.Lock()
	defer c.deadline.mu.Unlock()
	c.deadline.setLocked(time.Now().Add(closeGrace))
}

// abort ends the connection at once, for a peer that is gone or does not
// read: the TCP connection is shut down both ways, so the reader meets its
// end now (wherever it waits) instead of at its deadline, and the peer is
// told. The descriptor itself is closed only once reading is over, so a
// poller never watches a number the kernel has given to another socket.
func (c *Conn) abort() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		_ = tc.CloseRead()
		_ = tc.CloseWrite()
		return
	}
	_ = c.nc.SetReadDeadline(time.Now())
	_ = c.nc.Close()
}
