package ws

import (
	"errors"
	"io"
	"time"
	"unicode/utf8"

	"github.com/gofiber/contrib/websocket"

	"rt/modules/protocol"
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

// readLoop hands every text frame to handle until the socket fails, the
// client closes, or the idle deadline passes; it then decides the close.
func (c *Conn) readLoop(handle func(*Conn, []byte)) {
	c.ws.SetReadLimit(int64(c.limits.MaxFrameBytes))
	c.ws.SetPongHandler(func(data string) error { return c.control(frameControlPong, data) })
	c.ws.SetPingHandler(func(data string) error { return c.control(frameControlPing, data) })
	for {
		c.extendIdle()
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readFailed(err)
			return
		}
		if c.isClosing() { // decided elsewhere (4002, 4001, shutdown): serve nothing more
			c.discardUntilClosed()
			return
		}
		switch c.guard.check(time.Now()) {
		case warn:
			c.rateLimited()
			continue
		case expel:
			c.expel()
			c.discardUntilClosed()
			return
		}
		if kind != websocket.TextMessage {
			c.stats.frame(frameBinary)
			c.Send(protocol.ErrorFrame(protocol.CodeBadMessage, "frames must be JSON text"))
			continue
		}
		if !utf8.Valid(data) { // RFC 6455 §8.1: invalid text fails the connection
			c.stats.frame(frameInvalid)
			c.Close(protocol.CloseInvalidPayload, "text frame is not valid UTF-8")
			c.discardUntilClosed()
			return
		}
		handle(c, data)
	}
}

// readFailed decides the close for the error that ended a read.
func (c *Conn) readFailed(err error) {
	c.decide(endingFor(err))
	if errors.Is(err, errReadLimit) {
		// Swallow the rest of the oversized frame (bounded by the close
		// deadline and the discard budget) so the client can finish writing
		// and read the 1009 instead of meeting a connection reset.
		_, _ = io.Copy(io.Discard, io.LimitReader(c.ws.NetConn(), c.discardLeft))
	}
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

// control serves a ping or pong frame; the library calls it from inside
// ReadMessage, on the reader's goroutine. Control frames count as activity
// and against their own rate budget; a ping within it is answered by the
// writer.
func (c *Conn) control(kind, data string) error {
	c.extendIdle()
	if c.isClosing() {
		return c.discard(len(data))
	}
	switch c.guard.checkControl(time.Now()) {
	case warn:
		c.rateLimited()
		return nil
	case expel: // the frames that follow are charged to the discard budget
		c.expel()
		return nil
	}
	c.stats.frame(kind)
	if kind == frameControlPing {
		c.queuePong([]byte(data)) // the writer answers; the reader never waits on a write
	}
	return nil
}

// discard charges n bytes (and one frame) against the discard budget.
func (c *Conn) discard(n int) error {
	c.discardLeft -= int64(n) + frameCost
	if c.discardLeft <= 0 {
		return errDiscarded
	}
	return nil
}

// discardUntilClosed reads and drops frames after the server decided to
// close, until the client answers the close, the close deadline passes or
// the discard budget is spent. Closing the TCP connection while the
// client's frames are still arriving would reset it, and a reset can
// destroy the close frame in the client's buffers, leaving it a bare 1006
// (RFC 6455 §7.1.1: the server closes the connection after the close
// handshake).
func (c *Conn) discardUntilClosed() {
	for c.discardLeft > 0 {
		_, r, err := c.ws.NextReader()
		if err != nil {
			return
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(r, c.discardLeft))
		if c.discard(int(n)) != nil {
			return
		}
	}
}

// writeFailed ends a connection whose peer is gone or has stopped reading:
// at once, not at the reader's deadline, so a stuck client is released
// WRITE_TIMEOUT after the write that could not finish. A close the server
// had decided was not sent, and is counted as the write failure instead.
func (c *Conn) writeFailed(err error) {
	why := transportWhy(err)
	c.decide(ending{why: why})
	if c.end.code != 0 {
		c.unsent = why
	}
	c.abort()
}

// writeClose sends the decided close frame, if the server chose a code. If
// the library has already sent one (after 1002 or 1009, or answering the
// peer's close) the write fails harmlessly with errCloseSent. The library
// writes each frame with one write call, and so does the writer, so frames
// written by both never interleave.
func (c *Conn) writeClose() {
	if c.end.code == 0 {
		return
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.limits.WriteTimeout))
	msg := websocket.FormatCloseMessage(c.end.code, c.end.text)
	err := c.ws.WriteMessage(websocket.CloseMessage, msg)
	switch {
	case err == nil:
		c.closeWritten()
	case !errors.Is(err, errCloseSent):
		c.writeFailed(err)
	}
}
