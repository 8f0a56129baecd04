package main

import (
	"cmp"
	"context"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

const (
	dialMax   = 10 * time.Second // bound on one dial, handshake included
	writeMax  = 5 * time.Second  // bound on one client write
	readMax   = 15 * time.Minute // hard bound on every reader, whatever happens
	pollEvery = 10 * time.Millisecond
)

// client is one connection with its own reader goroutine: a raw reader,
// not the Go client library (package client) that the multiroom scenario's
// sockets are. Every scenario on this fleet (default, connect, storm,
// fanout-max, fanout-rate, rooms, cross) measures the server's ceiling, so
// a client must cost the load generator as little as possible and do only
// what the measurement needs:
//
//   - it reads each frame into one reused buffer and tells a delivery by a
//     prefix scan (frames.go); the library decodes every frame with
//     encoding/json and hands each delivery to a dispatcher goroutine. At
//     the fan-out rates measured here (hundreds of thousands of deliveries
//     a second, to one generator CPU) that cost would be the bottleneck,
//     and the figure would be the generator's, not the server's;
//   - these scenarios connect with the handshake's URL room (/ws/<room>),
//     whose join the connect scenario times to the client's own
//     presence.join; the library only uses /ws and room.join;
//   - storm's clients read slowly on purpose (-read-delay after every
//     frame) to fill the server's send queues; the library reads as fast
//     as it can, whatever its handlers do;
//   - storm checks the server's presence frames themselves: it counts
//     them, and folds them into a set of its own to compare with a final
//     presence.state; the library folds them out of sight and hands on a
//     sorted copy of the whole set per frame.
type client struct {
	idx       int
	user, tok string
	room      *room
	port      int
	src       uint8 // index of its source address in fleet.dialers

	// Set by the dialer before the reader starts.
	ws     *websocket.Conn
	upAt   int64 // Unix ns the upgrade completed
	dialNs int64 // how long the dial took

	wmu        sync.Mutex   // senders, the reader's pong and presence.list all write
	sender     atomic.Bool  // it sends chat messages: a system.error it reads is a refused one
	listsAsked atomic.Int32 // presence.list requests sent

	// Written by the reader only; read after fleet.close.
	lat     []int64 // delivery latencies, ns
	last    int64   // Unix ns of the last delivery
	ownAt   int64   // Unix ns its own user first appeared in a presence change
	pres    presenceSet
	states  int      // presence.state frames read
	final   bool     // the answer to the final presence.list was read
	finalOK bool     // and the tracked set equalled it
	finalIn []string // that answer
	extra   int      // users in the tracked set but not in the final answer
	missing int      // users in the final answer but not in the tracked set
	ended   string   // how the server ended the connection; "" if it did not
}

// room is one room's connected members and, for windowed sending, how many
// members have received each message.
type room struct {
	name     string
	members  []*client // connected members; [0..senders) send
	size     atomic.Int32
	dropped  atomic.Int32
	next     atomic.Int64   // next sequence number to send
	counts   []atomic.Int32 // receivers per sequence number
	complete atomic.Int64   // messages every member still connected has received
	refused  atomic.Int64   // messages the server answered with a system.error
	progMu   sync.Mutex
	progress chan struct{} // closed and replaced when a message is complete or a member drops
}

func (r *room) alive() int32 { return r.size.Load() - r.dropped.Load() }

func (r *room) signal() {
	r.progMu.Lock()
	close(r.progress)
	r.progress = make(chan struct{})
	r.progMu.Unlock()
}

func (r *room) waitChan() <-chan struct{} {
	r.progMu.Lock()
	defer r.progMu.Unlock()
	return r.progress
}

// fleetConfig is what a scenario asks of its clients.
type fleetConfig struct {
	ports     []int // a room's members alternate between these servers
	conns     int
	rooms     int    // client i joins room i%rooms
	prefix    string // room names are prefix-<r>
	msgs      int    // messages per room, for the delivery counts (0: none)
	readDelay time.Duration
	listFirst bool // ask presence.list right after the upgrade, and keep the presence set
	readBuf   int  // bytes of each client's read buffer (0: 2048)
	sources   int  // loopback source addresses to dial from (0: as many as conns need, sources.go)
}

// fleet is every client of a run and the counters the phases wait on.
type fleet struct {
	cfg     fleetConfig
	dialers []*websocket.Dialer // one per source address (sources.go)
	clients []*client
	rooms   []*room

	frames, joined, delivered, states, finals atomic.Int64
	pings                                     atomic.Int64 // system.ping frames read (and answered)
	presFrames, presUsers                     atomic.Int64 // presence changes read, and users in them
	lastFrame                                 atomic.Int64 // Unix ns of the last frame any client read
	dropped                                   atomic.Int64 // readers ended by the server, not by close
	closing                                   atomic.Bool
	readers                                   sync.WaitGroup
	closeOnce                                 sync.Once

	mu        sync.Mutex
	ends      map[string]int // how the server ended connections: "1000", "4002", "1006 (no close frame)", …
	fails     map[string]int // failed dials by cause
	errs      map[string]int // system.error frames read, by code
	firstSend error
}

// newFleet makes the clients and signs their tokens up front, so signing
// never counts in a dial's time.
func newFleet(cfg fleetConfig) (*fleet, error) {
	f := &fleet{cfg: cfg, clients: make([]*client, cfg.conns), rooms: make([]*room, cfg.rooms),
		ends: map[string]int{}, fails: map[string]int{}, errs: map[string]int{}}
	dials, err := dialFuncs(cmp.Or(cfg.sources, sourceCount(cfg.conns)))
	if err != nil {
		return nil, err
	}
	for _, d := range dials {
		f.dialers = append(f.dialers, newDialer(cfg.readBuf, d))
	}
	f.touch()
	for r := range f.rooms {
		f.rooms[r] = &room{name: cfg.prefix + "-" + strconv.Itoa(r), counts: make([]atomic.Int32, cfg.msgs), progress: make(chan struct{})}
	}
	for i := range f.clients {
		c := &client{idx: i, user: "u" + strconv.Itoa(i), room: f.rooms[i%cfg.rooms], port: cfg.ports[(i/cfg.rooms)%len(cfg.ports)],
			src: uint8(sourceOf(i, len(dials)))}
		tok, err := token(c.user)
		if err != nil {
			return nil, err
		}
		c.tok = tok
		f.clients[i] = c
	}
	return f, nil
}

var (
	pong         = []byte(`{"type":"system.pong"}`)
	presenceList = []byte(`{"type":"presence.list"}`)
)

// maxMessage bounds what one server frame may hold here: rt's largest,
// a presence.state of a big room, is well under it.
const maxMessage = 16 << 20

// close closes every socket and waits for the readers (bounded by their
// read deadline); after it, what the readers wrote can be read.
func (f *fleet) close() {
	f.closeOnce.Do(func() {
		f.closing.Store(true)
		for _, c := range f.clients {
			if c.ws != nil {
				c.ws.Close()
			}
		}
		f.readers.Wait()
	})
}

// endsSnapshot is a copy of how the server ended connections so far.
func (f *fleet) endsSnapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.ends)
}

func (f *fleet) failsSnapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.fails)
}

// errorsSnapshot is a copy of the system.error frames read so far, by code.
func (f *fleet) errorsSnapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.errs)
}

// waitUntil polls cond until it holds (true) or deadline or ctx ends (false).
func waitUntil(ctx context.Context, deadline time.Time, cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || sleep(ctx, pollEvery) != nil {
			return false
		}
	}
}
