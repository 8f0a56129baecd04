package ws

import (
	"errors"
	"net"
	"os"
	"time"
	"unicode/utf8"

	fws "github.com/fasthttp/websocket"

	"github.com/rtserver/rt/modules/protocol"
)

// discardBudget bounds what the reader still reads and drops once a close
// is decided, and frameCost is the least one frame counts against it, so a
// client flooding tiny frames cannot keep the reader busy either.
const (
	discardBudget = 1 << 20
	frameCost     = 256
)

// errDiscarded ends a read once the discard budget is spent.
var errDiscarded = errors.New("discard budget spent")

// readEnd is how far a connection's reading has come to its end.
type readEnd struct {
	// discarding: a close is decided; frames are read and dropped until
	// the client's close reply, the deadline, or the discard budget.
	discarding bool
	// swallowing: the stream broke the frame rules; its bytes are dropped
	// unread, so the client can finish writing and read the close instead
	// of meeting a connection reset.
	swallowing bool
	over       bool // nothing more is read
}

// consume serves bytes the client sent and reports whether to read on;
// readMu is held. A frame is served as soon as its last byte is here.
func (c *Conn) consume(p []byte) bool {
	for len(p) > 0 {
		if c.readEnd.swallowing {
			c.discardLeft -= int64(len(p))
			return c.discardLeft > 0
		}
		f, n, ok, err := c.frames.parse(p)
		p = p[n:]
		if err != nil {
			if !c.readFailed(err) {
				return false
			}
			continue
		}
		if ok && !c.onFrame(f) {
			return false
		}
	}
	return true
}

// consumeSafely is consume for both readers: a panic while serving a
// frame closes only this socket, with 1011.
func (c *Conn) consumeSafely(p []byte) (more bool) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked(r)
			more = false
		}
	}()
	return c.consume(p)
}

// onFrame serves one frame and reports whether to read on.
func (c *Conn) onFrame(f frame) bool {
	// Every frame is activity, control frames and fragments included.
	c.extendIdle()
	switch {
	case c.readEnd.discarding:
		return f.op != opClose && c.discard(f.size) == nil
	case c.isClosing(): // decided elsewhere (4002, 4001, shutdown): serve nothing more
		if f.op == opClose {
			return false
		}
		c.discardUntilClosed()
		return true
	}
	return c.serveFrame(f)
}

// serveFrame serves one frame and reports whether to read on.
func (c *Conn) serveFrame(f frame) bool {
	switch f.op {
	case opClose: // the writer echoes the client's code (RFC 6455 §5.5.1)
		c.decide(ending{echo: echoCode(f.code), why: whyClientClosed})
		return false
	case opPing, opPong:
		c.control(f.op, f.payload)
		return true
	}
	switch c.guard.check(time.Now()) { // every data frame costs a token, continuations too
	case warn:
		c.refuseData()
		return true
	case expel:
		c.frames.drop()
		c.expel()
		c.discardUntilClosed()
		return true
	}
	if f.done {
		c.serveMessage(f.msgOp, f.message)
	}
	return true // more fragments to come, or the message was dropped
}

// serveMessage serves one whole message.
func (c *Conn) serveMessage(op byte, data []byte) {
	switch {
	case op != opText:
		c.stats.frame(frameBinary)
		c.Send(protocol.ErrorFrame(protocol.CodeBadMessage, "frames must be JSON text"))
	case !utf8.Valid(data): // RFC 6455 §8.1: invalid text fails the connection
		c.stats.frame(frameInvalid)
		c.Close(protocol.CloseInvalidPayload, "text frame is not valid UTF-8")
		c.discardUntilClosed()
	default:
		c.handle(c, data)
	}
}

// echoCode is the code a client's close is answered with: its own, or 1000
// for a close without one (1005 may not be sent, RFC 6455 §7.4.1).
func echoCode(code int) int {
	if code == fws.CloseNoStatusReceived {
		return protocol.CloseNormal
	}
	return code
}

// readFailed decides the close for the error that ended a read and
// reports whether to read on: after a frame that broke the rules the
// stream cannot be read as frames any more, and what follows (the rest of
// an oversized message, a flood in flight) is swallowed, bounded by the
// close deadline and the discard budget.
func (c *Conn) readFailed(err error) bool {
	c.decide(endingFor(err))
	var fe *frameError
	if errors.As(err, &fe) {
		c.readEnd.swallowing = true
		return true
	}
	return false
}

// refuseData drops a data frame over the rate limit, and with it the whole
// message it belongs to. Each refused frame counts as a warning; the client
// is answered once per message.
func (c *Conn) refuseData() {
	if c.frames.drop() {
		c.rateLimited()
		return
	}
	c.stats.frame(frameRateLimited)
}

// rateLimited drops a frame over the rate limit with a warning.
func (c *Conn) rateLimited() {
	c.stats.frame(frameRateLimited)
	c.Send(protocol.ErrorFrame(protocol.CodeRateLimited, "too many frames; slow down"))
}

// expel closes a client that kept flooding after its warnings.
func (c *Conn) expel() {
	c.stats.frame(frameRateLimited)
	c.Close(protocol.ClosePolicy, "rate limit exceeded repeatedly")
}

// control serves a ping or pong frame. Control frames count against their
// own rate budget; a ping within it is answered by the writer.
func (c *Conn) control(op byte, data []byte) {
	switch c.guard.checkControl(time.Now()) {
	case warn:
		c.rateLimited()
		return
	case expel: // reading then discards until the close reply
		c.expel()
		return
	}
	if op == opPong {
		c.stats.frame(frameControlPong)
		return
	}
	c.stats.frame(frameControlPing)
	c.queuePong(data) // the writer answers; the reader never waits on a write
}

// discard charges n bytes (and one frame) against the discard budget.
func (c *Conn) discard(n int) error {
	c.discardLeft -= int64(n) + frameCost
	if c.discardLeft <= 0 {
		return errDiscarded
	}
	return nil
}

// discardUntilClosed reads and drops frames from now on, after the server
// decided to close, until the client answers the close, the close deadline
// passes, the discard budget is spent or a frame breaks the rules. Closing
// the TCP connection while the client's frames are still arriving would
// reset it, and a reset can destroy the close frame in the client's
// buffers, leaving it a bare 1006 (RFC 6455 §7.1.1: the server closes the
// connection after the close handshake).
func (c *Conn) discardUntilClosed() {
	c.frames.skip()
	c.readEnd.discarding = true
}

// over ends reading; readMu is held. The poller forgets the socket and
// the read clock stops; the caller then runs c.ended.
func (c *Conn) over() {
	c.readEnd.over = true
	c.deadline.stop()
	if c.poll != nil {
		c.poll.remove(c)
	}
}

// readExpired runs on the read clock's timer once its deadline has
// passed: a socket on a poller is ended here; a goroutine blocked in a
// read is woken, to find the deadline passed.
func (c *Conn) readExpired() {
	c.readMu.Lock()
	if c.readEnd.over {
		c.readMu.Unlock()
		return
	}
	if c.poll == nil {
		c.readMu.Unlock()
		_ = c.nc.SetReadDeadline(time.Now())
		return
	}
	c.readFailed(os.ErrDeadlineExceeded)
	c.over()
	c.readMu.Unlock()
	c.ended()
}

// startReading serves the bytes fasthttp had read past the handshake,
// then hands the socket to p; without a poller (or when p cannot take
// it) it reads on this goroutine until reading is over. Either way c.ended
// runs once reading is over.
func (c *Conn) startReading(buffered []byte, p *poller) {
	c.readMu.Lock()
	c.extendIdle()
	if len(buffered) > 0 && !c.consume(buffered) {
		c.over()
		c.readMu.Unlock()
		c.ended()
		return
	}
	c.poll = p.take(c)
	c.deadline.start(c.readExpired)
	c.readMu.Unlock()
	if c.poll == nil {
		c.readLoop()
		c.ended()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readBufferBytes is the read buffer of a socket read by a goroutine of
// its own, held while the goroutine waits: client frames are small, and a
// larger one is read in several calls. (A poller's sockets share the
// poller's buffer.)
const readBufferBytes = 1024

// readLoop reads the socket on this goroutine until reading is over.
func (c *Conn) readLoop() {
	buf := make([]byte, readBufferBytes)
	for {
		n, err := c.nc.Read(buf)
		if isTimeout(err) && !c.deadline.passed() {
			// The clock fired while a frame moved it on: read on.
			_ = c.nc.SetReadDeadline(time.Time{})
			err = nil
		}
		c.readMu.Lock()
		more := !c.readEnd.over && c.consumeSafely(buf[:n])
		if more && err != nil {
			c.readFailed(err)
			more = false
		}
		if !more {
			c.over()
		}
		c.readMu.Unlock()
		if !more {
			return
		}
	}
}
