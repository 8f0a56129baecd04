package ws

import (
	"context"
	"sync"
	"time"

	"rt/modules/protocol"
)

// Caps bound how many sockets this node holds; MaxConns 0 means no cap.
type Caps struct {
	MaxConnsPerUser int
	MaxConns        int
}

// Registry tracks every live socket, because Fiber's shutdown does not see
// upgraded connections: on stop it closes them all with 1001 and waits for
// their handlers (and so their presence cleanup) to finish. It also counts
// sockets per user for the connection caps.
type Registry struct {
	caps     Caps
	mu       sync.Mutex
	conns    map[*Conn]struct{}
	perUser  map[string]int
	draining bool
	wg       sync.WaitGroup
}

// NewRegistry returns an empty registry enforcing caps.
func NewRegistry(caps Caps) *Registry {
	return &Registry{caps: caps, conns: make(map[*Conn]struct{}), perUser: make(map[string]int)}
}

// admission is the registry's answer to one more socket for a user.
type admission int

const (
	admitted admission = iota
	userFull           // the user is at MaxConnsPerUser on this node
	nodeFull           // this node is at MaxConns
	draining           // the server is shutting down
)

// admit reports whether user may open one more socket now. The handshake asks
// before upgrading; add asks again, because handshakes run concurrently.
func (r *Registry) admit(user string) admission {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.admitLocked(user)
}

func (r *Registry) admitLocked(user string) admission {
	switch {
	case r.draining:
		return draining
	case r.caps.MaxConns > 0 && len(r.conns) >= r.caps.MaxConns:
		return nodeFull
	case r.perUser[user] >= r.caps.MaxConnsPerUser:
		return userFull
	}
	return admitted
}

// add registers c unless a cap or draining forbids it.
func (r *Registry) add(c *Conn) admission {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a := r.admitLocked(c.client.User); a != admitted {
		return a
	}
	r.conns[c] = struct{}{}
	r.perUser[c.client.User]++
	r.wg.Add(1)
	return admitted
}

// Len reports how many sockets are registered.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}

func (r *Registry) remove(c *Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	if r.perUser[c.client.User]--; r.perUser[c.client.User] <= 0 {
		delete(r.perUser, c.client.User)
	}
	r.mu.Unlock()
	r.wg.Done()
}

// Drain closes every socket with 1001 and waits until their handlers have
// returned or ctx ends.
func (r *Registry) Drain(ctx context.Context) error {
	r.mu.Lock()
	r.draining = true
	for c := range r.conns {
		c.Close(protocol.CloseGoingAway, "server shutting down")
	}
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Disconnect closes user's sockets on this node, in room or, when room is
// "", in every room, with 4003 and reason, and says how many.
func (r *Registry) Disconnect(user, room, reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for c := range r.conns {
		if c.client.User == user && (room == "" || c.client.Room == room) {
			c.Close(protocol.CloseDisconnected, reason)
			n++
		}
	}
	return n
}

// Heartbeat sends every socket a system.ping every interval until stop is
// called: one timer for the node instead of one per socket, and one encoded
// frame per beat shared by every socket.
func (r *Registry) Heartbeat(every time.Duration) (stop func()) {
	ticker := time.NewTicker(every)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-ticker.C:
				r.beat(protocol.Ping(protocol.Now()))
			case <-done:
				return
			}
		}
	}()
	return func() {
		ticker.Stop()
		close(done)
		<-finished
	}
}

func (r *Registry) beat(frame []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		c.ping(frame)
	}
}
