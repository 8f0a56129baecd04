package ws

import (
	"context"
	"sync"
	"time"

	"github.com/rtserver/rt/modules/protocol"
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
	history  HistoryBudget
	mu       sync.Mutex
	conns    map[*Conn]struct{}
	perUser  map[string]*userConns
	swept    time.Time // when perUser was last swept of users gone
	draining bool
	wg       sync.WaitGroup
}

// userConns is what one user's sockets on this node share.
type userConns struct {
	n       int
	history *historyAllowance
}

// NewRegistry returns an empty registry enforcing caps; each user's sockets
// share one allowance of history reads.
func NewRegistry(caps Caps, history HistoryBudget) *Registry {
	return &Registry{caps: caps, history: history, conns: make(map[*Conn]struct{}), perUser: make(map[string]*userConns)}
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
	case r.perUser[user] != nil && r.perUser[user].n >= r.caps.MaxConnsPerUser:
		return userFull
	}
	return admitted
}

// add registers c unless a cap or draining forbids it.
func (r *Registry) add(c *Conn) admission {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a := r.admitLocked(c.user); a != admitted {
		return a
	}
	r.conns[c] = struct{}{}
	u := r.perUser[c.user]
	if u == nil {
		u = &userConns{history: newHistoryAllowance(r.history, time.Now)}
		r.perUser[c.user] = u
	}
	u.n++
	c.history = u.history
	r.wg.Add(1)
	return admitted
}

// userSweepEvery is how often users without sockets are looked for.
const userSweepEvery = time.Second

// sweepLocked forgets, at most once per userSweepEvery, the users with no
// socket left whose history allowance is whole again. A user who
// reconnects sooner finds the allowance as they left it, so closing and
// reopening sockets does not refill it; r.mu is held.
func (r *Registry) sweepLocked(now time.Time) {
	if now.Sub(r.swept) < userSweepEvery {
		return
	}
	r.swept = now
	for user, u := range r.perUser {
		if u.n <= 0 && u.history.whole() {
			delete(r.perUser, user)
		}
	}
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
	if u := r.perUser[c.user]; u != nil {
		u.n--
	}
	r.sweepLocked(time.Now())
	r.mu.Unlock()
	r.wg.Done()
}

// Spreader paces the closing of n sockets: it calls closeNext with how
// many to close now until all n have been (drain.Drain's Spread).
type Spreader interface {
	Spread(ctx context.Context, n int, closeNext func(count int))
}

// Drain refuses new sockets, closes every socket with 1001 at the pace
// spread sets (all at once when nil), and waits until their handlers have
// returned or ctx ends. The sockets not yet closed serve as before.
func (r *Registry) Drain(ctx context.Context, spread Spreader) error {
	r.mu.Lock()
	r.draining = true
	open := make([]*Conn, 0, len(r.conns))
	for c := range r.conns {
		open = append(open, c)
	}
	r.mu.Unlock()
	closeNext := func(count int) {
		for _, c := range open[:count] {
			c.Close(protocol.CloseGoingAway, "server shutting down")
		}
		open = open[count:]
	}
	if spread == nil {
		closeNext(len(open))
	} else {
		spread.Spread(ctx, len(open), closeNext)
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Disconnect closes user's sockets on this node with 4003 and reason, and
// says how many it reached. With a room, only that room is taken away: a
// socket in other rooms too stays open and is told room.left reason
// disconnected (takeRoom).
func (r *Registry) Disconnect(user, room, reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for c := range r.conns {
		switch {
		case c.user != user:
		case room == "":
			c.Close(protocol.CloseDisconnected, reason)
			n++
		case c.takeRoom(room, protocol.LeftDisconnected, reason):
			n++
		}
	}
	return n
}

// SendToUser queues frame, a user.message, to user's sockets on this node,
// and says how many.
func (r *Registry) SendToUser(user string, frame []byte) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for c := range r.conns {
		if c.user == user && c.Send(frame) {
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
