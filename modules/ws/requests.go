package ws

import (
	"context"
	"sync"
	"time"

	"rt/modules/protocol"
)

// maxPendingRequests bounds how many of one connection's requests may wait
// for a slow backend (a stalled Redis); beyond it they are answered
// unavailable at once.
const maxPendingRequests = 16

// requests runs a connection's requests that wait on a backend (publish,
// presence list) in arrival order, on a goroutine that exists only while
// some are pending. The reader hands them over and goes on reading, so a
// stalled Redis never stalls the socket: the rate limit sees frames when
// the client sent them, pings are answered, and the client learns promptly
// that its message could not be sent.
type requests struct {
	conn    *Conn
	mu      sync.Mutex
	queue   []func(context.Context)
	running bool
	idle    sync.Cond // signalled when the queue empties and the runner stops
	base    context.Context
	cancel  context.CancelFunc
}

func (r *requests) init(c *Conn) {
	r.conn = c
	r.idle.L = &r.mu
	r.base, r.cancel = context.WithCancel(context.Background())
}

// submit queues f and reports whether there was room. f gets a context
// bounded by opTimeout.
func (r *requests) submit(f func(context.Context)) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) >= maxPendingRequests {
		return false
	}
	r.queue = append(r.queue, f)
	if !r.running {
		r.running = true
		go r.run()
	}
	return true
}

func (r *requests) run() {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.running = false
			r.idle.Broadcast()
			r.mu.Unlock()
			return
		}
		f := r.queue[0]
		r.queue[0] = nil
		r.queue = r.queue[1:]
		r.mu.Unlock()
		r.serve(f)
	}
}

// serve runs one request; a panic closes only this connection, with 1011.
func (r *requests) serve(f func(context.Context)) {
	defer func() {
		if p := recover(); p != nil {
			r.conn.log.Error("panic serving a websocket request", "panic", p, "room", r.conn.client.Room)
			r.conn.Close(protocol.CloseInternal, "internal error")
		}
	}()
	ctx, cancel := context.WithTimeout(r.base, opTimeout)
	defer cancel()
	f(ctx)
}

// finish waits for the pending requests once the reader has stopped: what
// the client sent before it left is still published. A backend that does
// not answer gets opTimeout in all, after which the rest is cancelled.
func (r *requests) finish() {
	stop := time.AfterFunc(opTimeout, r.cancel)
	defer stop.Stop()
	defer r.cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.running {
		r.idle.Wait()
	}
}
