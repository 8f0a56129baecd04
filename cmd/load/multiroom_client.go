package main

import (
	"context"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// socketJoinMax bounds one socket's wait for the answers to its joins.
const socketJoinMax = 30 * time.Second

// mrClient is one socket of the multiroom scenario: in no room at the
// handshake, then in its layout's rooms.
type mrClient struct {
	idx       int
	user, tok string

	// Set by the dialer before the reader starts.
	ws        *websocket.Conn
	joinStart int64         // Unix ns the first room.join was written
	over      chan struct{} // closed by the reader: every room joined, one refused, or the socket ended

	wmu sync.Mutex // the sender and the reader's pong write

	// Written by the reader only; read after the reader is done (over
	// closed for joinDone and refusal, mrFleet.close for the rest).
	joined   []bool // per slot: room.joined read
	nJoined  int
	joinDone int64  // Unix ns the last room.joined was read; 0 if never
	refusal  string // the code of the first system.error answering a join
	isOver   bool
	counts   []slotCount // per slot
	lat      []int64     // delivery latencies, ns
	last     int64       // Unix ns of the last delivery
	ended    string      // how the server ended the socket; "" if it did not
}

func (c *mrClient) write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeMax))
	return c.ws.WriteMessage(websocket.TextMessage, msg)
}

// end closes over once.
func (c *mrClient) end() {
	if !c.isOver {
		c.isOver = true
		close(c.over)
	}
}

// mrFleet is every socket of a multiroom run and what they read.
type mrFleet struct {
	l       layout
	prefix  string
	names   []string // room r's name
	port    int
	dialer  *websocket.Dialer
	clients []*mrClient

	frames, delivered, presence, stray, joinedSockets atomic.Int64
	lastFrame                                         atomic.Int64
	sent, acked, refused                              []atomic.Int64 // per room
	closing                                           atomic.Bool
	readers                                           sync.WaitGroup
	closeOnce                                         sync.Once

	mu       sync.Mutex
	ends     map[string]int // how the server ended sockets
	fails    map[string]int // failed dials by cause
	refusals map[string]int // joins answered with system.error, by code
	errs     map[string]int // every system.error read, by code
}

// newMRFleet makes conns clients, one user each (MAX_CONNS_PER_USER is
// per user), and signs their tokens up front.
func newMRFleet(port, conns int, l layout, prefix string) (*mrFleet, error) {
	f := &mrFleet{l: l, prefix: prefix, port: port, dialer: newDialer(0), clients: make([]*mrClient, conns),
		names: make([]string, l.rooms), acked: make([]atomic.Int64, l.rooms), refused: make([]atomic.Int64, l.rooms),
		sent: make([]atomic.Int64, l.rooms), ends: map[string]int{}, fails: map[string]int{}, refusals: map[string]int{}, errs: map[string]int{}}
	f.lastFrame.Store(time.Now().UnixNano())
	for r := range f.names {
		f.names[r] = prefix + "-" + strconv.Itoa(r)
	}
	for i := range f.clients {
		c := &mrClient{idx: i, user: "m" + strconv.Itoa(i), over: make(chan struct{}),
			joined: make([]bool, l.perConn), counts: make([]slotCount, l.perConn)}
		tok, err := token(c.user)
		if err != nil {
			return nil, err
		}
		c.tok = tok
		f.clients[i] = c
	}
	return f, nil
}

// openAll dials every socket and has it join its rooms, dialers at a time:
// a dialer takes its next socket once this one's joins are all answered
// (or refused, or the socket ended, or socketJoinMax passed).
func (f *mrFleet) openAll(ctx context.Context, dialers int) {
	jobs := make(chan *mrClient)
	var wg sync.WaitGroup
	for range dialers {
		wg.Go(func() {
			for c := range jobs {
				f.open(ctx, c)
			}
		})
	}
	for _, c := range f.clients {
		if ctx.Err() != nil {
			break
		}
		jobs <- c
	}
	close(jobs)
	wg.Wait()
}

// open dials c (a refused TCP dial is tried again, an HTTP refusal is
// not), starts its reader, writes its room.join frames back to back and
// waits for the answers.
func (f *mrFleet) open(ctx context.Context, c *mrClient) {
	url := roomsURL(f.port, c.tok)
	header := http.Header{"Origin": {origin}}
	for attempt := 1; ; attempt++ {
		ws, resp, err := f.dialer.DialContext(ctx, url, header)
		if err == nil {
			c.ws = ws
			break
		}
		if resp != nil {
			resp.Body.Close()
			f.count(f.fails, "HTTP "+strconv.Itoa(resp.StatusCode))
			return
		}
		if attempt >= 3 || ctx.Err() != nil {
			f.count(f.fails, rtnode.DialFailure(err))
			return
		}
		_ = sleep(ctx, time.Duration(attempt)*100*time.Millisecond)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(readMax))
	f.readers.Add(1)
	go f.read(c)
	c.joinStart = time.Now().UnixNano()
	for k := range f.l.perConn {
		if c.write(joinFrame(f.names[f.l.room(c.idx, k)], k)) != nil {
			break // the reader sees the socket end
		}
	}
	t := time.NewTimer(socketJoinMax)
	defer t.Stop()
	select {
	case <-c.over:
	case <-t.C:
	case <-ctx.Done():
	}
}

func (f *mrFleet) count(m map[string]int, key string) {
	f.mu.Lock()
	m[key]++
	f.mu.Unlock()
}

// read is c's reader; it ends when the socket closes or at readMax.
func (f *mrFleet) read(c *mrClient) {
	defer f.readers.Done()
	defer c.end()
	var buf []byte
	for {
		data, err := readMessage(c.ws, buf)
		buf = data[:0]
		if err != nil {
			if !f.closing.Load() {
				c.ended = endCause(err)
				f.count(f.ends, c.ended)
			}
			return
		}
		now := time.Now().UnixNano()
		f.frames.Add(1)
		f.lastFrame.Store(now)
		f.handle(c, data, now)
	}
}

func (f *mrFleet) handle(c *mrClient, data []byte, now int64) {
	switch kindOf(data) {
	case kindDelivery:
		r, ok := frameRoom(data, f.prefix)
		k := f.l.slot(c.idx, r)
		seq, sent, ok2 := deliveryText(data)
		if !ok || !ok2 || k < 0 {
			f.stray.Add(1) // not a delivery of this run to this socket
			return
		}
		c.counts[k].add(seq)
		c.lat = append(c.lat, now-sent)
		c.last = now
		f.delivered.Add(1)
	case kindJoined:
		k, ok := refNumber(data, 'j')
		if !ok || k >= f.l.perConn || c.joined[k] {
			return
		}
		c.joined[k] = true
		c.nJoined++
		if c.nJoined == f.l.perConn {
			c.joinDone = now
			f.joinedSockets.Add(1)
			c.end()
		}
	case kindAck:
		if r, ok := frameRoom(data, f.prefix); ok && r < f.l.rooms {
			f.acked[r].Add(1)
		}
	case kindJoin, kindLeave, kindDiff:
		f.presence.Add(1)
	case kindPing:
		_ = c.write(pong)
	case kindError:
		f.refusal(c, data)
	}
}

// refusal counts a system.error: a join's (ref j…, or any while the
// socket is joining, when it writes nothing else: a server that does not
// know room.join answers without the ref) ends the socket's joining; a
// message's (ref m…) is counted against the room c sends to.
func (f *mrFleet) refusal(c *mrClient, data []byte) {
	code, ok := stringField(data, "code")
	if !ok {
		code = "unreadable"
	}
	f.count(f.errs, code)
	if _, ok := refNumber(data, 'j'); ok || !c.isOver {
		f.count(f.refusals, code)
		if c.refusal == "" {
			c.refusal = code
		}
		c.end()
		return
	}
	if _, ok := refNumber(data, 'm'); ok && c.idx < f.l.rooms {
		f.refused[c.idx].Add(1) // socket r sends room r's messages
	}
}

// close closes every socket and waits for the readers; after it, what the
// readers wrote can be read.
func (f *mrFleet) close() {
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

func (f *mrFleet) snapshot(m map[string]int) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(m)
}
