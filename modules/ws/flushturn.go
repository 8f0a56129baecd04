package ws

// writeTurn writes what c has queued on f's goroutine, without waiting:
// what the socket cannot take now is left to a writer goroutine of c's
// own, which waits under WRITE_TIMEOUT. A socket that still has more after
// flusherTurns batches goes to the back of the list.
func (c *Conn) writeTurn(f *flusher) {
	for range flusherTurns {
		batch, pong, last := c.nextBatch()
		if batch == nil && pong == nil {
			if last {
				c.closeTurn(f)
			}
			return
		}
		if !c.writeBatchNow(f, batch, pong) {
			return
		}
		c.recycle(batch)
	}
	f.schedule(c)
}

// writeBatchNow encodes the batch into f's buffer and writes it without
// waiting. It reports false when it did not finish: the write failed (and
// the writer is settled), or the socket's buffer is full and a writer
// goroutine has the rest of the batch.
func (c *Conn) writeBatchNow(f *flusher, frames [][]byte, pong []byte) bool {
	buf := f.buf[:0]
	if pong != nil {
		buf = appendFrame(buf, opPong, pong)
	}
	for i, fr := range frames {
		if len(buf) > 0 && len(buf)+len(fr) > maxBatchBytes {
			if rest, ok := c.writeSomeNow(buf); !ok || rest != nil {
				f.buf = buf
				c.handOff(rest, frames[i:], frames, ok)
				return false
			}
			buf = buf[:0]
		}
		buf = appendFrame(buf, opText, fr)
	}
	f.buf = buf
	rest, ok := c.writeSomeNow(buf)
	if !ok || rest != nil {
		c.handOff(rest, nil, frames, ok)
		return false
	}
	return true
}

// writeSomeNow writes b without waiting and returns what the socket did
// not take (nil when it took everything); ok is false when the write
// failed.
func (c *Conn) writeSomeNow(b []byte) (rest []byte, ok bool) {
	n, err := writeNow(c.fd, b)
	switch {
	case err == nil && n == len(b):
		return nil, true
	case err != nil && err != errWouldBlock:
		c.writeFailed(err)
		return nil, false
	}
	return b[n:], true
}

// handOff gives a write the socket could not take now to a writer
// goroutine: the bytes left of the encoded batch, then the frames not yet
// encoded; it then writes on as c's writer until the queue is empty.
// After a failed write (ok false) it only settles the writer.
func (c *Conn) handOff(rest []byte, frames, batch [][]byte, ok bool) {
	if !ok {
		c.settle()
		return
	}
	rest = append([]byte(nil), rest...) // the flusher's buffer is reused
	go func() {
		if !c.writeBytes(rest) || (len(frames) > 0 && !c.writeBatch(frames, nil)) {
			c.settle()
			return
		}
		c.recycle(batch)
		c.writer()
	}()
}

// closeTurn writes the close frame without waiting, or leaves it to a
// writer goroutine when the socket's buffer is full.
func (c *Conn) closeTurn(f *flusher) {
	frame := c.closeFrame()
	if frame == nil {
		c.settle()
		return
	}
	rest, ok := c.writeSomeNow(frame)
	switch {
	case !ok:
		c.settle()
	case rest == nil:
		c.closeWritten()
		c.settle()
	default:
		rest = append([]byte(nil), rest...)
		go func() {
			if c.writeBytes(rest) {
				c.closeWritten()
			}
			c.settle()
		}()
	}
}
