package ws

import (
	"context"
	"sync"
	"time"

	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/protocol"
)

// minPendingRequests is the least bound on how many of one connection's
// requests may wait for a slow backend (a stalled Redis); beyond the bound
// they are answered unavailable at once. The bound is RATE_BURST when that
// is larger: a burst the rate limit allows arrives faster than any backend
// answers, and must all be served when the backend is healthy.
const minPendingRequests = 16

// maxPendingPages bounds the history requests (scrollback pages) one
// connection may have waiting; they wait for the user's history budget and
// for the client to read the page before, so more would only hold memory.
const maxPendingPages = 4

// requests runs a connection's requests that wait on a backend (publish,
// presence list) in arrival order, on a goroutine that exists only while
// some are pending. The reader hands them over and goes on reading, so a
// stalled Redis never stalls the socket: the rate limit sees frames when
// the client sent them, pings are answered, and the client learns promptly
// that its message could not be sent.
type requests struct {
	conn    *Conn
	limit   int                                            // requests that may wait
	timeout time.Duration                                  // bound on one request; 0 for none but the connection's life
	sayAll  func(ctx context.Context, said []sayRequest)   // publishes chat messages, set by the handler
	joinAll func(ctx context.Context, joins []joinRequest) // joins rooms, set by the handler
	mu      sync.Mutex
	queue   []request
	running bool
	idle    sync.Cond // signalled when the queue empties and the runner stops
	// base is the context of every request, made with the first one (most
	// sockets never ask for history, so their history lane never has one)
	// and cancelled by finish; finished refuses requests after that.
	base     context.Context
	cancel   context.CancelFunc
	finished bool
}

func (r *requests) init(c *Conn, limit int, timeout time.Duration) {
	r.conn, r.limit, r.timeout = c, limit, timeout
	r.idle.L = &r.mu
}

// request is one pending request: a chat message, a room.join, or anything
// else as f.
type request struct {
	said *sayRequest
	join *joinRequest
	f    func(context.Context)
}

// sayRequest is a chat.message waiting to be published, with its ref.
type sayRequest struct {
	hub.Said
	ref string
}

// submit queues f and reports whether there was room. f gets a context
// bounded by opTimeout.
func (r *requests) submit(f func(context.Context)) bool {
	return r.add(request{f: f}, false)
}

// submitAlways queues f whatever the bound, unless the runner has
// finished: for work whose number something else bounds (a leave per
// room joined, a recovery per room.join).
func (r *requests) submitAlways(f func(context.Context)) bool {
	return r.add(request{f: f}, true)
}

// submitSay queues a chat message. Messages that wait next to each other
// are published together, in order, with one round trip to the bus.
func (r *requests) submitSay(s sayRequest) bool {
	return r.add(request{said: &s}, false)
}

// submitJoin queues a room.join. Joins that wait next to each other are
// joined together, with one round trip to presence.
func (r *requests) submitJoin(j joinRequest) bool {
	return r.add(request{join: &j}, false)
}

func (r *requests) add(req request, always bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if (len(r.queue) >= r.limit && !always) || r.finished {
		return false
	}
	if r.base == nil {
		r.base, r.cancel = context.WithCancel(context.Background())
	}
	r.queue = append(r.queue, req)
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
		next := r.take()
		r.mu.Unlock()
		r.serve(next)
	}
}

// take removes the first request, or, when it is a chat message or a
// room.join, every one of the same kind queued right behind it too, as one
// f; r.mu is held.
func (r *requests) take() func(context.Context) {
	first := r.queue[0]
	n := 1
	for first.f == nil && n < len(r.queue) && (r.queue[n].said != nil) == (first.said != nil) && r.queue[n].f == nil {
		n++
	}
	taken := make([]request, n)
	copy(taken, r.queue)
	clear(r.queue[:n])
	r.queue = r.queue[n:]
	switch {
	case first.said != nil:
		said := make([]sayRequest, n)
		for i, t := range taken {
			said[i] = *t.said
		}
		return func(ctx context.Context) { r.sayAll(ctx, said) }
	case first.join != nil:
		joins := make([]joinRequest, n)
		for i, t := range taken {
			joins[i] = *t.join
		}
		return func(ctx context.Context) { r.joinAll(ctx, joins) }
	}
	return first.f
}

// serve runs one request; a panic closes only this connection, with 1011.
func (r *requests) serve(f func(context.Context)) {
	defer func() {
		if p := recover(); p != nil {
			r.conn.log.Error("panic serving a websocket request", "panic", p)
			r.conn.Close(protocol.CloseInternal, "internal error")
		}
	}()
	ctx, cancel := r.base, context.CancelFunc(func() {})
	if r.timeout > 0 {
		ctx, cancel = context.WithTimeout(r.base, r.timeout)
	}
	defer cancel()
	f(ctx)
}

// finish waits for the pending requests once the reader has stopped: what
// the client sent before it left is still published. A backend that does
// not answer gets opTimeout in all, after which the rest is cancelled.
func (r *requests) finish() { r.finishWithin(opTimeout) }

// abandon cancels the pending requests at once and waits for the one
// running to return: history pages for a client that has gone are not
// worth reading.
func (r *requests) abandon() { r.finishWithin(0) }

func (r *requests) finishWithin(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = true
	if r.cancel == nil {
		return // never asked anything
	}
	stop := time.AfterFunc(d, r.cancel)
	defer stop.Stop()
	defer r.cancel()
	for r.running {
		r.idle.Wait()
	}
}
