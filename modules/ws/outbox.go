package ws

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/rtserver/rt/modules/protocol"
)

// maxBatchBytes bounds one write: a writer that has more queued writes it
// in several.
const maxBatchBytes = 256 << 10

// outbox is what waits to be written to one socket. There is no writer
// goroutine while nothing waits: the first frame queued starts one, and it
// ends when the queue is empty. So an idle connection holds no goroutine,
// no timer and no buffer for writing, and a busy one writes everything that
// has piled up since its last write with one write call (still one
// WebSocket frame each, so clients see no difference).
type outbox struct {
	mu      sync.Mutex
	frames  [][]byte // text frames to write, in order; grows on demand up to SEND_QUEUE
	spare   [][]byte // the last batch's slice, reused for the next
	pong    []byte   // the latest ping's payload, to answer with a pong
	hasPong bool
	// replayed counts the frames of a recovery's replay in frames: they
	// do not count toward SEND_QUEUE. The writer takes the whole queue at
	// once, so it is zero again at every batch.
	replayed int
	// queued is the bytes of frames, writing those of the batch being
	// written: together what this socket holds toward SEND_QUEUE_BYTES
	// (replays included) and toward the node's MAX_QUEUED_BYTES.
	queued, writing int
	// room is signalled when a batch has been written, made by the first
	// history page that waits for room (most sockets never wait).
	room    chan struct{}
	running bool          // a writer goroutine is running
	settled bool          // the close has been written, or could not be
	done    chan struct{} // closed once settled
}

// batches are pooled: a connection holds a write buffer only while it writes.
var batches = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// queue appends frame unless the connection is closing; full reports a
// queue at SEND_QUEUE frames or SEND_QUEUE_BYTES, which nothing was added to.
func (c *Conn) queue(frame []byte) (queued, full bool) {
	c.box.mu.Lock()
	defer c.box.mu.Unlock()
	switch {
	case c.isClosing():
		return false, false
	case len(c.box.frames)-c.box.replayed >= c.limits.SendQueue, !c.fitsLocked(len(frame)):
		return false, true
	}
	c.addLocked(frame)
	return true, false
}

// queueSpare appends a frame that may be dropped (a signal) only while the
// queue stays at most half full, in frames and in bytes: such frames never
// take the room the frames after them need, so a client is closed with
// 4002 for falling behind on what it must get, not for signals.
func (c *Conn) queueSpare(frame []byte) bool {
	c.box.mu.Lock()
	defer c.box.mu.Unlock()
	frames := len(c.box.frames) - c.box.replayed + 1
	bytes := c.box.queued + c.box.writing + len(frame)
	if c.isClosing() || frames > c.limits.SendQueue/2 || bytes > c.limits.SendQueueBytes/2 {
		return false
	}
	c.addLocked(frame)
	return true
}

// queueReplay appends a replayed frame unless the connection is closing or
// the frame would take it past SEND_QUEUE_BYTES; a replay does not count
// toward SEND_QUEUE's frames.
func (c *Conn) queueReplay(frame []byte) (queued, full bool) {
	c.box.mu.Lock()
	defer c.box.mu.Unlock()
	switch {
	case c.isClosing():
		return false, false
	case !c.fitsLocked(len(frame)):
		return false, true
	}
	c.addLocked(frame)
	c.box.replayed++
	return true, false
}

// fitsLocked says whether n more bytes stay within SEND_QUEUE_BYTES; box.mu
// is held.
func (c *Conn) fitsLocked(n int) bool {
	return c.box.queued+c.box.writing+n <= c.limits.SendQueueBytes
}

// addLocked queues frame and counts its bytes; box.mu is held.
func (c *Conn) addLocked(frame []byte) {
	c.box.frames = append(c.box.frames, frame)
	c.box.queued += len(frame)
	c.node.add(int64(len(frame)))
	c.startWriterLocked()
}

// waiting reports the bytes this socket holds, queued or being written.
func (c *Conn) waiting() int {
	c.box.mu.Lock()
	defer c.box.mu.Unlock()
	return c.box.queued + c.box.writing
}

// roomSignal returns the channel a written batch signals, making it if
// need be, and the bytes waiting now.
func (c *Conn) roomSignal() (<-chan struct{}, int) {
	c.box.mu.Lock()
	defer c.box.mu.Unlock()
	if c.box.room == nil {
		c.box.room = make(chan struct{}, 1)
	}
	return c.box.room, c.box.queued + c.box.writing
}

// awaitRoom waits until at most limit bytes wait for this socket: a
// history page is queued only once the client has read what came before
// it, so a client that does not read holds one page, not one per request.
// It reports false once the connection is closing or ctx ends.
func (c *Conn) awaitRoom(ctx context.Context, limit int) bool {
	for {
		if c.isClosing() {
			return false
		}
		room, waiting := c.roomSignal()
		if waiting <= limit {
			return true
		}
		select {
		case <-room:
		case <-c.closing:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// releaseLocked forgets bytes queued or written; box.mu is held.
func (c *Conn) releaseLocked(queued, writing int) {
	c.box.queued -= queued
	c.box.writing -= writing
	c.node.add(-int64(queued + writing))
}

// queuePong has the writer answer a ping; only the latest one needs an
// answer (RFC 6455 §5.5.3).
func (c *Conn) queuePong(data []byte) {
	c.box.mu.Lock()
	defer c.box.mu.Unlock()
	if c.isClosing() {
		return
	}
	c.box.pong, c.box.hasPong = append(c.box.pong[:0], data...), true
	c.startWriterLocked()
}

// startWriterLocked starts a writer unless one runs: a turn on the
// socket's flusher, or else a goroutine; box.mu is held.
func (c *Conn) startWriterLocked() {
	if !c.box.running && !c.box.settled {
		c.box.running = true
		if c.flush != nil {
			c.flush.schedule(c)
			return
		}
		go c.writer()
	}
}

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
