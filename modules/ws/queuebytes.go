package ws

import (
	"cmp"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rtserver/rt/modules/protocol"
)

// nodeQueue counts the bytes waiting in every send queue of this node,
// each socket counted apart (a fan-out frame shared by a thousand sockets
// counts a thousand times: it is what the node has promised to write), and
// holds the cap MAX_QUEUED_BYTES.
type nodeQueue struct {
	total atomic.Int64
	cap   int64
	over  chan struct{} // signalled, never blocking, when total passes cap
}

func newNodeQueue(limit int64) *nodeQueue {
	return &nodeQueue{cap: limit, over: make(chan struct{}, 1)}
}

// add counts n more bytes (less, when n is negative). A nil nodeQueue
// counts nothing: a Conn built on its own, in a test, has none.
func (q *nodeQueue) add(n int64) {
	if q == nil {
		return
	}
	if q.total.Add(n) > q.cap && n > 0 {
		select {
		case q.over <- struct{}{}:
		default:
		}
	}
}

// shedTarget is the share of the cap a shed brings the total back under,
// so that one shed is not followed at once by the next.
const shedTarget = 0.9

// Shed closes, each time the node's queued bytes pass the cap, the sockets
// with the most bytes waiting, with 4002, until the bytes they hold bring
// the total under 90% of the cap, until stop is called. A greedy reader of
// history pages or a slow client in a busy room goes first; sockets that
// keep up hold almost nothing and are left alone.
func (r *Registry) Shed(q *nodeQueue, shed func(n int)) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-q.over:
				if n := r.shedOnce(q.total.Load() - int64(float64(q.cap)*shedTarget)); n > 0 {
					shed(n)
				}
			case <-done:
				return
			}
			// A burst of signals from sockets closed a moment ago would
			// otherwise pick victims from counts about to fall.
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return func() { close(done); <-finished }
}

// shedOnce closes the greediest sockets until they hold at least excess
// bytes; it reports how many it closed.
func (r *Registry) shedOnce(excess int64) int {
	if excess <= 0 {
		return 0
	}
	type held struct {
		c *Conn
		n int
	}
	r.mu.Lock()
	all := make([]held, 0, len(r.conns))
	for c := range r.conns {
		if n := c.waiting(); n > 0 {
			all = append(all, held{c, n})
		}
	}
	r.mu.Unlock()
	slices.SortFunc(all, func(a, b held) int { return cmp.Compare(b.n, a.n) })
	closed := 0
	for _, h := range all {
		if excess <= 0 {
			break
		}
		h.c.Close(protocol.CloseTooSlow, "server send queues full")
		excess -= int64(h.n)
		closed++
	}
	return closed
}
