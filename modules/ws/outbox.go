package ws

import (
	"context"
	"sync"
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
