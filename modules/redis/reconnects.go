package redis

import "sync"

// Reconnects tells the modules that keep state in Redis that the connection
// came back after a loss. A restarted Redis has lost everything it held, so
// they rewrite their keys at once instead of waiting for their next periodic
// write. The Pub/Sub bus fires it: its dedicated connection is the one that
// notices a restart even while nothing else is being sent. In a Redis
// Cluster it fires once rooms' sharded subscriptions come back after a
// loss, as a promoted replica may lack what its master never passed on.
type Reconnects struct {
	mu    sync.Mutex
	next  int
	funcs map[int]func()
}

// NewReconnects returns a notifier with no listeners.
func NewReconnects() *Reconnects { return &Reconnects{funcs: map[int]func(){}} }

// Subscribe calls f after every reconnect until cancel. f runs on the
// reconnecting goroutine, so it must not block.
func (r *Reconnects) Subscribe(f func()) (cancel func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.next
	r.next++
	r.funcs[id] = f
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.funcs, id)
	}
}

// Reconnected calls every listener. A nil notifier does nothing, so a bus
// built without one (as in tests) needs no check.
func (r *Reconnects) Reconnected() {
	if r == nil {
		return
	}
	r.mu.Lock()
	funcs := make([]func(), 0, len(r.funcs))
	for _, f := range r.funcs {
		funcs = append(funcs, f)
	}
	r.mu.Unlock()
	for _, f := range funcs { // outside the lock: a listener may Subscribe or cancel
		f()
	}
}
