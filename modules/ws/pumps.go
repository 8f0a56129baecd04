package ws

import (
	fws "github.com/fasthttp/websocket"
)

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
	if frame := c.closeFrame(); frame != nil && c.writeBytes(frame) {
		c.closeWritten()
	}
}

// closeFrame is the encoded close frame to send: the decided close, the
// echo of the client's, or nil for none (the connection was lost).
func (c *Conn) closeFrame() []byte {
	code, text := c.end.code, c.end.text
	if code == 0 {
		code, text = c.end.echo, ""
	}
	if code == 0 {
		return nil
	}
	return appendFrame(nil, opClose, fws.FormatCloseMessage(code, text))
}
