package ws

import (
	"context"
	"sync"

	"rt/modules/protocol"
)

// Registry tracks every live socket, because Fiber's shutdown does not see
// upgraded connections: on stop it closes them all with 1001 and waits for
// their handlers (and so their presence cleanup) to finish.
type Registry struct {
	mu       sync.Mutex
	conns    map[*Conn]struct{}
	draining bool
	wg       sync.WaitGroup
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{conns: make(map[*Conn]struct{})} }

// add reports false once draining has begun; the caller must not proceed.
func (r *Registry) add(c *Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.draining {
		return false
	}
	r.conns[c] = struct{}{}
	r.wg.Add(1)
	return true
}

func (r *Registry) remove(c *Conn) {
	r.mu.Lock()
	delete(r.conns, c)
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
