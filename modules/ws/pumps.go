package ws

import (
	"errors"
	"io"
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

// readLoop hands every text message to handle until the socket fails, the
// client closes, or the idle deadline passes; it then decides the close.
// handle must not keep the message: its buffer is reused.
func (c *Conn) readLoop(handle func(*Conn, []byte)) {
	c.frames = newFrameReader(c.ws.NetConn(), c.limits.MaxFrameBytes)
	c.extendIdle()
	for {
		f, err := c.frames.next()
		if err != nil {
			c.readFailed(err)
			return
		}
		// Every frame is activity, control frames and fragments included.
		c.extendIdle()
		if c.isClosing() { // decided elsewhere (4002, 4001, shutdown): serve nothing more
			if f.op != opClose {
				c.discardUntilClosed()
			}
			return
		}
		if !c.serveFrame(f, handle) {
			return
		}
	}
}

// serveFrame serves one frame and reports whether to read on.
func (c *Conn) serveFrame(f frame, handle func(*Conn, []byte)) bool {
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
		return false
	}
	if !f.done {
		return true // more fragments to come, or the message was dropped
	}
	return c.serveMessage(f.msgOp, f.message, handle)
}

// serveMessage serves one whole message and reports whether to read on.
func (c *Conn) serveMessage(op byte, data []byte, handle func(*Conn, []byte)) bool {
	if op != opText {
		c.stats.frame(frameBinary)
		c.Send(protocol.ErrorFrame(protocol.CodeBadMessage, "frames must be JSON text"))
		return true
	}
	if !utf8.Valid(data) { // RFC 6455 §8.1: invalid text fails the connection
		c.stats.frame(frameInvalid)
		c.Close(protocol.CloseInvalidPayload, "text frame is not valid UTF-8")
		c.discardUntilClosed()
		return false
	}
	handle(c, data)
	return true
}

// echoCode is the code a client's close is answered with: its own, or 1000
// for a close without one (1005 may not be sent, RFC 6455 §7.4.1).
func echoCode(code int) int {
	if code == fws.CloseNoStatusReceived {
		return protocol.CloseNormal
	}
	return code
}

// readFailed decides the close for the error that ended a read.
func (c *Conn) readFailed(err error) {
	c.decide(endingFor(err))
	var fe *frameError
	if errors.As(err, &fe) {
		// The stream cannot be read as frames any more. Swallow what
		// follows (the rest of an oversized message, a flood in flight),
		// bounded by the close deadline and the discard budget, so the
		// client can finish writing and read the close instead of meeting
		// a connection reset.
		_, _ = io.Copy(io.Discard, io.LimitReader(c.frames.src, c.discardLeft))
	}
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
	case expel: // the read loop then discards until the close reply
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

// discardUntilClosed reads and drops frames after the server decided to
// close, until the client answers the close, the close deadline passes,
// the discard budget is spent or a frame breaks the rules. Closing the TCP
// connection while the client's frames are still arriving would reset it,
// and a reset can destroy the close frame in the client's buffers, leaving
// it a bare 1006 (RFC 6455 §7.1.1: the server closes the connection after
// the close handshake).
func (c *Conn) discardUntilClosed() {
	c.frames.skip()
	for c.discardLeft > 0 {
		f, err := c.frames.next()
		if err != nil || f.op == opClose {
			return
		}
		if c.discard(f.size) != nil {
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

// writeClose sends the decided close frame, or the echo of the client's
// close. Like every other frame it is written by the writer alone, with one
// write call.
func (c *Conn) writeClose() {
	code, text := c.end.code, c.end.text
	if code == 0 {
		code, text = c.end.echo, ""
	}
	if code == 0 {
		return
	}
	if c.writeBytes(appendFrame(nil, opClose, fws.FormatCloseMessage(code, text))) {
		c.closeWritten()
	}
}
