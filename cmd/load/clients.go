package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/golang-jwt/jwt/v5"
)

const (
	dialAttempts = 3                // a refused dial under a burst is retried, not counted as a failure at once
	dialMax      = 10 * time.Second // bound on one dial, handshake included
	writeMax     = 5 * time.Second  // bound on one client write
	readMax      = 15 * time.Minute // hard bound on every reader, whatever happens
	pollEvery    = 10 * time.Millisecond
)

// dialer dials only loopback. Small buffers: the frames here are tiny, and
// the client side shares the machine with the server being measured.
var dialer = &websocket.Dialer{
	NetDialContext:   dialLoopback,
	HandshakeTimeout: dialMax,
	ReadBufferSize:   2048,
	WriteBufferSize:  512,
}

// client is one connection with its own reader goroutine. lat and last are
// written only by that reader; they are read after fleet.close.
type client struct {
	user, room string
	ws         *websocket.Conn
	wmu        sync.Mutex // the sender and the reader's pong both write
	joined     bool       // reader saw its own presence.join
	lat        []int64    // delivery latencies, ns
	last       int64      // Unix ns of the last delivery
}

// fleet is every client of a run and the counters the phases wait on.
type fleet struct {
	port    int
	p       params
	clients []*client   // by index; nil where the dial failed
	rooms   [][]*client // connected members per room; rooms[r][0] sends

	frames, joined, delivered atomic.Int64
	dropped                   atomic.Int64 // readers ended by the server, not by close
	closing                   atomic.Bool
	readers                   sync.WaitGroup
	closeOnce                 sync.Once

	sendMu    sync.Mutex
	firstSend error
}

func newFleet(port int, p params) *fleet {
	return &fleet{port: port, p: p, clients: make([]*client, p.Conns)}
}

func roomName(r int) string { return "load-" + strconv.Itoa(r) }

// token is an HS256 token for sub, signed with the server's secret.
func token(sub string) (string, error) {
	claims := jwt.MapClaims{"sub": sub, "iat": time.Now().Unix()}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(jwtSecret))
}

// dialAll connects client i as user u<i> to room i%rooms, p.Dialers at a
// time, then groups the connected ones by room. It fails if any dial failed:
// a figure over fewer connections than asked would be misquoted.
func (f *fleet) dialAll(ctx context.Context) error {
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failed   int
		firstErr error
	)
	for range f.p.Dialers {
		wg.Go(func() {
			for i := range jobs {
				if err := f.dialOne(ctx, i); err != nil {
					mu.Lock()
					failed++
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range f.p.Conns {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	f.groupRooms()
	if failed > 0 {
		return fmt.Errorf("%d of %d dials failed, first: %w", failed, f.p.Conns, firstErr)
	}
	return ctx.Err()
}

func (f *fleet) dialOne(ctx context.Context, i int) error {
	c := &client{user: "u" + strconv.Itoa(i), room: roomName(i % f.p.Rooms)}
	tok, err := token(c.user)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("ws://%s:%d/ws/%s?token=%s", loopback, f.port, c.room, tok)
	header := http.Header{"Origin": {origin}}
	for attempt := 1; ; attempt++ {
		ws, resp, err := dialer.DialContext(ctx, url, header)
		if err == nil {
			c.ws = ws
			break
		}
		if resp != nil {
			resp.Body.Close()
			return fmt.Errorf("dial %s: HTTP %d", c.user, resp.StatusCode) // a refusal, not a transient error
		}
		if attempt == dialAttempts || ctx.Err() != nil {
			return fmt.Errorf("dial %s: %w", c.user, err)
		}
		_ = sleep(ctx, time.Duration(attempt)*100*time.Millisecond)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(readMax))
	f.clients[i] = c
	f.readers.Add(1)
	go f.read(c)
	return nil
}

func (f *fleet) groupRooms() {
	f.rooms = make([][]*client, f.p.Rooms)
	for i, c := range f.clients {
		if c != nil {
			f.rooms[i%f.p.Rooms] = append(f.rooms[i%f.p.Rooms], c)
		}
	}
}

func (f *fleet) connected() int {
	n := 0
	for _, c := range f.clients {
		if c != nil {
			n++
		}
	}
	return n
}

// inFrame holds the fields of a server frame this program looks at.
type inFrame struct {
	Type string `json:"type"`
	User string `json:"user"`
	Text string `json:"text"`
}

var pong = []byte(`{"type":"system.pong"}`)

// read is the client's reader; it ends when the socket closes (by us at
// the end, or by the server) or at readMax.
func (f *fleet) read(c *client) {
	defer f.readers.Done()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			if !f.closing.Load() {
				f.dropped.Add(1)
			}
			return
		}
		now := time.Now().UnixNano() // before parsing: parsing is the client's cost, not latency
		f.frames.Add(1)
		var m inFrame
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		f.handle(c, m, now)
	}
}

func (f *fleet) handle(c *client, m inFrame, now int64) {
	switch m.Type {
	case "chat.delivery":
		sent, err := strconv.ParseInt(m.Text, 10, 64)
		if err != nil {
			return
		}
		c.lat = append(c.lat, now-sent)
		c.last = now
		f.delivered.Add(1)
	case "presence.join":
		if m.User == c.user && !c.joined {
			c.joined = true
			f.joined.Add(1)
		}
	case "system.ping":
		_ = c.write(pong) // keeps a long run clear of IDLE_TIMEOUT
	}
}

func (c *client) write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeMax))
	return c.ws.WriteMessage(websocket.TextMessage, msg)
}

// waitJoined waits until every client has seen its own presence.join: the
// server sends it after subscribing the member to the room, so from then on
// the member receives every message of the room.
func (f *fleet) waitJoined(ctx context.Context, bound time.Duration) error {
	want := int64(f.connected())
	if !waitUntil(ctx, time.Now().Add(bound), func() bool { return f.joined.Load() >= want }) {
		return fmt.Errorf("only %d of %d clients saw their presence.join within %s", f.joined.Load(), want, bound)
	}
	return nil
}

// waitQuiet waits until no frame has arrived for quiet (the joins' presence
// fan-out is over), or bound passes.
func (f *fleet) waitQuiet(ctx context.Context, quiet, bound time.Duration) {
	deadline := time.Now().Add(bound)
	last, since := f.frames.Load(), time.Now()
	for time.Now().Before(deadline) && sleep(ctx, 100*time.Millisecond) == nil {
		if n := f.frames.Load(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
}

// expectedDeliveries: every message reaches every member of its room,
// the sender included.
func (f *fleet) expectedDeliveries(msgs int) int64 {
	return int64(msgs) * int64(f.members())
}

// members is the number of connected clients in a room with a sender,
// i.e. the deliveries one message in every room makes.
func (f *fleet) members() int {
	n := 0
	for _, members := range f.rooms {
		n += len(members)
	}
	return n
}

// sendAll starts one sender per room (its first member) and returns a
// channel closed when all of them are done. The senders' start times are
// spread over one send interval: rooms in step would send in bursts of one
// message per room at once, and latency would measure the burst.
func (f *fleet) sendAll(ctx context.Context, msgs int, rate float64) <-chan struct{} {
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	for r, members := range f.rooms {
		if len(members) == 0 {
			continue
		}
		offset := interval * time.Duration(r) / time.Duration(len(f.rooms))
		wg.Go(func() {
			if sleep(ctx, offset) != nil {
				return
			}
			if err := send(ctx, members[0], msgs, interval); err != nil {
				f.sendMu.Lock()
				if f.firstSend == nil {
					f.firstSend = err
				}
				f.sendMu.Unlock()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

func (f *fleet) sendErr() error {
	f.sendMu.Lock()
	defer f.sendMu.Unlock()
	return f.firstSend
}

// send writes msgs chat messages, one per interval, each carrying its send
// time so the receivers can compute latency on the same clock.
func send(ctx context.Context, c *client, msgs int, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := range msgs {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
		}
		msg := fmt.Appendf(nil, `{"type":"chat.message","text":"%d"}`, time.Now().UnixNano())
		if err := c.write(msg); err != nil {
			return fmt.Errorf("%s: %w", c.user, err)
		}
	}
	return nil
}

// waitDeliveries returns when every expected delivery arrived, at deadline,
// or once the senders are done and nothing has arrived for drainIdle
// (what is missing by then is lost, not late).
func (f *fleet) waitDeliveries(ctx context.Context, expected int64, deadline time.Time, sent <-chan struct{}) {
	last, since := f.delivered.Load(), time.Now()
	waitUntil(ctx, deadline, func() bool {
		n := f.delivered.Load()
		if n >= expected {
			return true
		}
		if n != last {
			last, since = n, time.Now()
		}
		select {
		case <-sent:
			return time.Since(since) >= drainIdle
		default:
			return false
		}
	})
}

// close closes every socket and waits for the readers (bounded by their
// read deadline); after it, the clients' latencies can be read.
func (f *fleet) close() {
	f.closeOnce.Do(func() {
		f.closing.Store(true)
		for _, c := range f.clients {
			if c != nil {
				c.ws.Close()
			}
		}
		f.readers.Wait()
	})
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
