package ws

import "sync"

// flusherTurns is how many batches one socket writes in a row before the
// sockets queued behind it get their turn.
const flusherTurns = 4

// flusher writes the queued frames of many sockets from one goroutine.
// A socket with something to write is put on its list instead of starting
// a writer goroutine of its own: a message fanned out to a thousand
// members wakes one goroutine, not a thousand, and each member's frames
// are written with one system call that does not wait. A socket whose
// buffer is full (its client reads slowly) is handed to a writer
// goroutine of its own, which waits under WRITE_TIMEOUT.
type flusher struct {
	mu    sync.Mutex
	ready []*Conn
	spare []*Conn
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	buf   []byte // encoded frames, reused for every socket
	// stopped (under mu): a socket scheduled after the stop gets a writer
	// goroutine of its own (a handshake that raced the shutdown).
	stopped bool
}

func newFlusher() *flusher {
	f := &flusher{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go f.run()
	return f
}

// schedule puts c on the list; c's writer is marked running, so c is on
// it at most once.
func (f *flusher) schedule(c *Conn) {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		go c.writer()
		return
	}
	f.ready = append(f.ready, c)
	first := len(f.ready) == 1
	f.mu.Unlock()
	if first {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

func (f *flusher) run() {
	defer close(f.done)
	for {
		select {
		case <-f.wake:
		case <-f.stop:
			return
		}
		for f.flushReady() {
		}
	}
}

// flushReady gives every socket on the list its turn and reports whether
// there were any.
func (f *flusher) flushReady() bool {
	f.mu.Lock()
	ready := f.ready
	f.ready, f.spare = f.spare[:0], nil
	f.mu.Unlock()
	for _, c := range ready {
		c.writeTurn(f)
	}
	clear(ready)
	f.mu.Lock()
	if f.spare == nil {
		f.spare = ready[:0]
	}
	f.mu.Unlock()
	if cap(f.buf) > maxBatchBytes {
		f.buf = nil
	}
	return len(ready) > 0
}

// close stops the flusher once the sockets are gone.
func (f *flusher) close() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	close(f.stop)
	<-f.done
	for _, c := range f.ready { // scheduled while it stopped
		go c.writer()
	}
	f.ready = nil
}
