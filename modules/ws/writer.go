package ws

import (
	"encoding/binary"
	"errors"
	"runtime"
	"time"

	"github.com/rtserver/rt/modules/protocol"
)

// writer writes what is queued, batch by batch, and once a close has been
// decided, the close frame; then it ends.
func (c *Conn) writer() {
	// Let whatever is delivering (a fan-out loop, the bus's receiver with
	// more messages already read) go on first: the more that has piled up
	// when the writer takes its batch, the fewer write calls.
	runtime.Gosched()
	for {
		batch, pong, last := c.nextBatch()
		if batch == nil && pong == nil {
			if last {
				c.writeClose()
				c.settle()
			}
			return
		}
		if !c.writeBatch(batch, pong) {
			c.settle()
			return
		}
		c.recycle(batch)
	}
}

// nextBatch takes everything queued. With nothing queued it stops the
// writer, unless a close is decided and not yet written: then last is true
// and the caller writes it. A client closed for being too slow gets no more
// frames: its queue is what it could not keep up with.
func (c *Conn) nextBatch() (batch [][]byte, pong []byte, last bool) {
	c.box.mu.Lock()
	defer c.box.mu.Unlock()
	closing := c.isClosing()
	if closing && c.end.code == protocol.CloseTooSlow {
		clear(c.box.frames)
		c.box.frames, c.box.hasPong, c.box.replayed = c.box.frames[:0], false, 0
		c.releaseLocked(c.box.queued, 0)
	}
	if c.box.hasPong {
		pong, c.box.hasPong = append([]byte{}, c.box.pong...), false
	}
	if len(c.box.frames) > 0 {
		batch, c.box.frames = c.box.frames, c.box.spare[:0]
		c.box.spare, c.box.replayed = nil, 0
		c.box.writing, c.box.queued = c.box.writing+c.box.queued, 0
		return batch, pong, false
	}
	if pong != nil {
		return nil, pong, false
	}
	if closing && !c.box.settled {
		return nil, nil, true
	}
	c.box.running = false
	return nil, nil, false
}

// recycle keeps the batch's slice for the next one, forgets its bytes, tells
// a history page waiting for room and, when the queue is empty again, lets a
// client that missed presence frames catch up.
func (c *Conn) recycle(batch [][]byte) {
	clear(batch)
	c.box.mu.Lock()
	if c.box.spare == nil && cap(batch) <= 2*c.limits.SendQueue {
		c.box.spare = batch[:0]
	}
	c.releaseLocked(0, c.box.writing)
	empty := len(c.box.frames) == 0
	room := c.box.room
	c.box.mu.Unlock()
	if room != nil {
		select {
		case room <- struct{}{}:
		default:
		}
	}
	if empty {
		c.caughtUp()
	}
}

// settle marks the close as handled and stops the writer for good.
func (c *Conn) settle() {
	c.box.mu.Lock()
	defer c.box.mu.Unlock()
	if !c.box.settled {
		c.box.settled = true
		close(c.box.done)
	}
	c.box.running = false
	c.box.frames, c.box.spare, c.box.pong = nil, nil, nil
	c.releaseLocked(c.box.queued, c.box.writing)
}

// writeBatch writes the pong (if any) and the frames with as few write
// calls as maxBatchBytes allows.
func (c *Conn) writeBatch(frames [][]byte, pong []byte) bool {
	bp := batches.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxBatchBytes {
			*bp = (*bp)[:0]
			batches.Put(bp)
		}
	}()
	buf := (*bp)[:0]
	if pong != nil {
		buf = appendFrame(buf, opPong, pong)
	}
	for _, f := range frames {
		if len(buf) > 0 && len(buf)+len(f) > maxBatchBytes {
			if !c.writeBytes(buf) {
				return false
			}
			buf = buf[:0]
		}
		buf = appendFrame(buf, opText, f)
	}
	*bp = buf
	return c.writeBytes(buf)
}

// writeBytes writes encoded frames straight to the socket. Only the writer
// goroutine writes to it, close frames included. Most writes fit in the
// socket's buffer and are done by one system call without waiting, and
// so without a deadline to arm; only the rest of a write the buffer could
// not take waits, bounded by WRITE_TIMEOUT.
func (c *Conn) writeBytes(b []byte) bool {
	if c.fd >= 0 {
		n, err := writeNow(c.fd, b)
		switch {
		case err == nil && n == len(b):
			return true
		case err != nil && err != errWouldBlock:
			c.writeFailed(err)
			return false
		}
		b = b[n:]
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.limits.WriteTimeout))
	if _, err := c.nc.Write(b); err != nil {
		c.writeFailed(err)
		return false
	}
	return true
}

// errWouldBlock is a write the socket's buffer takes none of now.
var errWouldBlock = errors.New("write would block")

// appendFrame appends one unmasked, unfragmented server frame.
func appendFrame(b []byte, op byte, payload []byte) []byte {
	b = append(b, 0x80|op) // FIN
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}
