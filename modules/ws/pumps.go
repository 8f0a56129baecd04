package ws

import (
	"errors"
	"io"
	"time"
	"unicode/utf8"

	"github.com/gofiber/contrib/websocket"

	"rt/modules/protocol"
)

// readLoop hands every text frame to handle until the socket fails, the
// client closes, or the idle deadline passes; it then decides the close.
func (c *Conn) readLoop(handle func(*Conn, []byte)) {
	c.ws.SetReadLimit(int64(c.limits.MaxFrameBytes))
	c.ws.SetPongHandler(func(string) error { c.extendIdle(); return nil })
	c.ws.SetPingHandler(func(data string) error {
		c.extendIdle()
		return c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.limits.WriteTimeout))
	})
	guard := newFloodGuard(c.limits)
	for {
		c.extendIdle()
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			c.Close(closeCodeFor(err))
			if errors.Is(err, errReadLimit) {
				// Swallow the rest of the oversized frame (bounded by the
				// close deadline) so the client can finish writing and read
				// the 1009 instead of meeting a connection reset.
				_, _ = io.Copy(io.Discard, c.ws.NetConn())
			}
			return
		}
		switch guard.check(time.Now()) {
		case warn:
			c.stats.frame(frameRateLimited)
			c.Send(protocol.ErrorFrame(protocol.CodeRateLimited, "too many frames; slow down"))
			continue
		case expel:
			c.stats.frame(frameRateLimited)
			c.Close(protocol.ClosePolicy, "rate limit exceeded repeatedly")
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

// discardUntilClosed reads and drops frames after the server decided to
// close, until the client answers the close or the close deadline passes.
// Closing the TCP connection while the client's frames are still arriving
// would reset it, and a reset can destroy the close frame in the client's
// buffers, leaving it a bare 1006 (RFC 6455 §7.1.1: the server closes the
// connection after the close handshake).
func (c *Conn) discardUntilClosed() {
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			return
		}
	}
}

// writeLoop is the only writer of the socket: queued frames, the heartbeat
// and, at the end, the close frame.
func (c *Conn) writeLoop(done chan<- struct{}) {
	defer close(done)
	heartbeat := time.NewTicker(c.limits.Heartbeat)
	defer heartbeat.Stop()
	for {
		select { // a decided close is served before waiting for more
		case <-c.closing:
			c.flushAndClose()
			return
		default:
		}
		var frame []byte
		select {
		case <-c.closing:
			c.flushAndClose()
			return
		case frame = <-c.out:
		case <-heartbeat.C:
			frame = protocol.Ping(protocol.Now())
		}
		if !c.writeFrame(frame) {
			return
		}
	}
}

func (c *Conn) writeFrame(frame []byte) bool {
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.limits.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		c.Close(protocol.CloseInternal, "write failed")
		_ = c.ws.NetConn().Close() // the peer is gone or stuck: stop the reader now
		return false
	}
	return true
}

// flushAndClose writes what is already queued (answers such as the last
// rate_limited warning, deliveries before a shutdown), then the close frame.
// A client closed for being too slow gets the close frame straight away:
// its queue is what it could not keep up with.
func (c *Conn) flushAndClose() {
	if c.code != protocol.CloseTooSlow {
		for len(c.out) > 0 { // only this goroutine receives, so this never blocks
			if !c.writeFrame(<-c.out) {
				return
			}
		}
	}
	c.writeClose()
}

// writeClose sends the decided close frame. If the peer closed first the
// library has already answered and this write fails harmlessly.
func (c *Conn) writeClose() {
	_ = c.ws.SetWriteDeadline(time.Now().Add(closeGrace))
	msg := websocket.FormatCloseMessage(c.code, c.reason)
	if err := c.ws.WriteMessage(websocket.CloseMessage, msg); err != nil && !errors.Is(err, errCloseSent) {
		_ = c.ws.NetConn().Close()
	}
}
