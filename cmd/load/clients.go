package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/golang-jwt/jwt/v5"
)

const (
	dialMax   = 10 * time.Second // bound on one dial, handshake included
	writeMax  = 5 * time.Second  // bound on one client write
	readMax   = 15 * time.Minute // hard bound on every reader, whatever happens
	pollEvery = 10 * time.Millisecond
)

// newDialer dials only loopback. Its read buffer is small where there are
// many connections and few frames (connect, storm), larger where every
// client reads a stream (fan-out): one read(2) then takes many frames.
func newDialer(readBuffer int) *websocket.Dialer {
	return &websocket.Dialer{
		NetDialContext:   dialLoopback,
		HandshakeTimeout: dialMax,
		ReadBufferSize:   cmp.Or(readBuffer, 2048),
		WriteBufferSize:  512,
	}
}

// client is one connection with its own reader goroutine.
type client struct {
	idx       int
	user, tok string
	room      *room
	port      int

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
}

// fleet is every client of a run and the counters the phases wait on.
type fleet struct {
	cfg     fleetConfig
	dialer  *websocket.Dialer
	clients []*client
	rooms   []*room

	frames, joined, delivered, states, finals atomic.Int64
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
	f := &fleet{cfg: cfg, dialer: newDialer(cfg.readBuf), clients: make([]*client, cfg.conns), rooms: make([]*room, cfg.rooms),
		ends: map[string]int{}, fails: map[string]int{}, errs: map[string]int{}}
	f.touch()
	for r := range f.rooms {
		f.rooms[r] = &room{name: cfg.prefix + "-" + strconv.Itoa(r), counts: make([]atomic.Int32, cfg.msgs), progress: make(chan struct{})}
	}
	for i := range f.clients {
		c := &client{idx: i, user: "u" + strconv.Itoa(i), room: f.rooms[i%cfg.rooms], port: cfg.ports[(i/cfg.rooms)%len(cfg.ports)]}
		tok, err := token(c.user)
		if err != nil {
			return nil, err
		}
		c.tok = tok
		f.clients[i] = c
	}
	return f, nil
}

// token is an HS256 token for sub, signed with the server's secret.
func token(sub string) (string, error) {
	claims := jwt.MapClaims{"sub": sub, "iat": time.Now().Unix()}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(jwtSecret))
}

// dialAll connects every client, dialers at a time, each with up to
// attempts tries (a refused TCP dial under a burst is retried; an HTTP
// refusal is not), then groups the connected ones by room. It returns how
// many failed; f.fails says why.
func (f *fleet) dialAll(ctx context.Context, dialers, attempts int) int {
	jobs := make(chan *client)
	var wg sync.WaitGroup
	for range dialers {
		wg.Go(func() {
			for c := range jobs {
				f.dial(ctx, c, attempts)
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
	f.groupRooms()
	return f.cfg.conns - f.connected() // failed, or never tried because ctx ended
}

// dialSpread starts client i's dial at start + i·spread/conns, each on its
// own goroutine: a storm of joins at a steady rate, however slow any one
// handshake is. It returns how many failed.
func (f *fleet) dialSpread(ctx context.Context, spread time.Duration) int {
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range f.clients {
		at := start.Add(spread * time.Duration(i) / time.Duration(len(f.clients)))
		wg.Go(func() {
			if sleep(ctx, time.Until(at)) == nil {
				f.dial(ctx, c, 1)
			}
		})
	}
	wg.Wait()
	f.groupRooms()
	return f.cfg.conns - f.connected()
}

// dial connects c and starts its reader; false (with the cause counted in
// f.fails) if it could not.
func (f *fleet) dial(ctx context.Context, c *client, attempts int) bool {
	url := fmt.Sprintf("ws://%s:%d/ws/%s?token=%s", loopback, c.port, c.room.name, c.tok)
	header := http.Header{"Origin": {origin}}
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		ws, resp, err := f.dialer.DialContext(ctx, url, header)
		if err == nil {
			c.upAt = time.Now().UnixNano()
			c.dialNs = c.upAt - t0.UnixNano()
			c.ws = ws
			break
		}
		if resp != nil {
			resp.Body.Close()
			f.fail("HTTP " + strconv.Itoa(resp.StatusCode)) // a refusal, not a transient error
			return false
		}
		if attempt >= attempts || ctx.Err() != nil {
			f.fail(dialFailure(err))
			return false
		}
		_ = sleep(ctx, time.Duration(attempt)*100*time.Millisecond)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(readMax))
	if f.cfg.listFirst {
		// Before the reader starts: every frame it reads comes after the request.
		c.listsAsked.Add(1)
		_ = c.write(presenceList)
	}
	f.readers.Add(1)
	go f.read(c)
	return true
}

func (f *fleet) fail(cause string) {
	f.mu.Lock()
	f.fails[cause]++
	f.mu.Unlock()
}

// dialFailure names the cause of a failed dial without its addresses, so
// that failures group.
func dialFailure(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no free local port"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, websocket.ErrBadHandshake):
		return "bad handshake"
	}
	return "other: " + err.Error()
}

func (f *fleet) groupRooms() {
	for _, r := range f.rooms {
		r.members = r.members[:0]
	}
	for _, c := range f.clients {
		if c.ws != nil {
			c.room.members = append(c.room.members, c)
		}
	}
	for _, r := range f.rooms {
		r.size.Store(int32(len(r.members)))
	}
}

func (f *fleet) connected() int {
	n := 0
	for _, c := range f.clients {
		if c.ws != nil {
			n++
		}
	}
	return n
}

var (
	pong         = []byte(`{"type":"system.pong"}`)
	presenceList = []byte(`{"type":"presence.list"}`)
)

// read is the client's reader; it ends when the socket closes (by us at
// the end, or by the server) or at readMax.
func (f *fleet) read(c *client) {
	defer f.readers.Done()
	var buf []byte
	for {
		data, err := readMessage(c.ws, buf)
		buf = data[:0]
		if err != nil {
			if !f.closing.Load() {
				c.ended = endCause(err)
				f.mu.Lock()
				f.ends[c.ended]++
				f.mu.Unlock()
				f.dropped.Add(1)
				c.room.dropped.Add(1)
				c.room.signal()
			}
			return
		}
		now := time.Now().UnixNano() // before parsing: parsing is the client's cost, not latency
		f.frames.Add(1)
		f.lastFrame.Store(now)
		f.handle(c, data, now)
		if f.cfg.readDelay > 0 {
			time.Sleep(f.cfg.readDelay) // a slow client: the server's queue for it fills
		}
	}
}

// maxMessage bounds what one server frame may hold here: rt's largest,
// a presence.state of a big room, is well under it.
const maxMessage = 16 << 20

// readMessage reads the next data message into buf's storage, growing it
// as needed: unlike ReadMessage, it allocates nothing per message once buf
// has grown to the usual size.
func readMessage(ws *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := ws.NextReader()
	if err != nil {
		return buf[:0], err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxMessage {
				return buf, fmt.Errorf("a server frame over %d bytes", maxMessage)
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// endCause is how the server ended a connection: its close code, or the
// absence of a close frame.
func endCause(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code == websocket.CloseAbnormalClosure {
			return "1006 (no close frame)"
		}
		return strconv.Itoa(ce.Code)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "read timeout"
	}
	return "error: " + err.Error()
}

func (f *fleet) handle(c *client, data []byte, now int64) {
	switch k := kindOf(data); k {
	case kindDelivery:
		seq, sent, ok := deliveryText(data)
		if !ok {
			return
		}
		c.lat = append(c.lat, now-sent)
		c.last = now
		f.delivered.Add(1)
		if r := c.room; seq < len(r.counts) && r.counts[seq].Add(1) == r.alive() {
			r.complete.Add(1)
			r.signal()
		}
	case kindJoin, kindLeave, kindDiff:
		ch, ok := parseChange(k, data)
		if !ok {
			return
		}
		f.presFrames.Add(1)
		f.presUsers.Add(int64(len(ch.joins) + len(ch.leaves)))
		if c.ownAt == 0 {
			for _, u := range ch.joins {
				if u == c.user {
					c.ownAt = now
					f.joined.Add(1)
					break
				}
			}
		}
		if f.cfg.listFirst {
			c.pres.apply(ch)
		}
	case kindState:
		users, ok := parseState(data)
		if !ok || !f.cfg.listFirst {
			return
		}
		c.states++
		if c.states == 1 {
			f.states.Add(1)
		}
		if c.listsAsked.Load() > 1 && !c.final && c.states >= int(c.listsAsked.Load()) {
			// The answer to the final presence.list: compare before replacing.
			c.final, c.finalOK, c.finalIn = true, c.pres.equals(users), users
			if !c.finalOK {
				c.extra, c.missing = c.pres.difference(users)
			}
			c.pres.replace(users)
			f.finals.Add(1)
			return
		}
		c.pres.replace(users) // the answer to the first list, or the server catching the client up
	case kindPing:
		_ = c.write(pong) // keeps a long run clear of IDLE_TIMEOUT
	case kindError:
		code, ok := stringField(data, "code")
		if !ok {
			code = "unreadable"
		}
		f.mu.Lock()
		f.errs[code]++
		f.mu.Unlock()
		if c.sender.Load() { // senders send nothing but chat messages: one was refused
			c.room.refused.Add(1)
			c.room.signal()
		}
	}
}

func (c *client) write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeMax))
	return c.ws.WriteMessage(websocket.TextMessage, msg)
}

// askFinal sends every connected client still open a last presence.list
// and returns how many were asked.
func (f *fleet) askFinal() int {
	n := 0
	for _, c := range f.clients {
		if c.ws != nil {
			c.listsAsked.Add(1)
			if c.write(presenceList) == nil {
				n++
			}
		}
	}
	return n
}

// waitJoined waits until every connected client has seen its own user join
// (presence.join, or presence.diff listing it): the server announces a join
// after subscribing the member to the room, so from then on the member
// receives every message of the room.
func (f *fleet) waitJoined(ctx context.Context, bound time.Duration) error {
	want := int64(f.connected())
	if !waitUntil(ctx, time.Now().Add(bound), func() bool { return f.joined.Load() >= want }) {
		return fmt.Errorf("only %d of %d clients saw their own join within %s", f.joined.Load(), want, bound)
	}
	return nil
}

// touch counts now as the time of the last frame, so that a wait for quiet
// starts from now.
func (f *fleet) touch() { f.lastFrame.Store(time.Now().UnixNano()) }

// waitQuiet waits until no client has read a frame for quiet, or bound
// passes; it reports whether it was quiet.
func (f *fleet) waitQuiet(ctx context.Context, quiet, bound time.Duration) bool {
	return waitUntil(ctx, time.Now().Add(bound), func() bool {
		return time.Since(time.Unix(0, f.lastFrame.Load())) >= quiet
	})
}

// expectedDeliveries: every message reaches every member of its room,
// the sender included.
func (f *fleet) expectedDeliveries(msgs int) int64 {
	return int64(msgs) * int64(f.members())
}

// members is the number of connected clients in rooms.
func (f *fleet) members() int {
	n := 0
	for _, r := range f.rooms {
		n += len(r.members)
	}
	return n
}

// sendPlan is how the senders of every room send.
type sendPlan struct {
	msgs    int     // per room
	rate    float64 // per room, messages/s; 0 = as fast as the window allows
	window  int     // messages of a room not yet received by all its members; 0 = no bound
	senders int     // per room: its first members
}

// sendAll starts the senders of every room and returns a channel closed
// when all of them are done. Paced senders' start times are spread over one
// send interval: rooms in step would send in bursts of one message per room
// at once, and latency would measure the burst.
func (f *fleet) sendAll(ctx context.Context, plan sendPlan) <-chan struct{} {
	var wg sync.WaitGroup
	var interval time.Duration
	if plan.rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(plan.senders) / plan.rate)
	}
	nSenders := len(f.rooms) * plan.senders
	k := 0
	for _, r := range f.rooms {
		for s := range min(plan.senders, len(r.members)) {
			offset := interval * time.Duration(k) / time.Duration(nSenders)
			k++
			wg.Go(func() {
				if sleep(ctx, offset) != nil {
					return
				}
				if err := f.send(ctx, r, r.members[s], plan, interval); err != nil {
					f.mu.Lock()
					f.firstSend = cmp.Or(f.firstSend, err)
					f.mu.Unlock()
				}
			})
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

func (f *fleet) sendErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.firstSend
}

// send writes messages of room r from c until the room has sent
// plan.msgs: one per interval when paced, and with a window, only while
// fewer than plan.window of the room's messages are in flight (sent, and
// neither received by every member still connected nor refused by the
// server). Each carries its sequence number and send time.
func (f *fleet) send(ctx context.Context, r *room, c *client, plan sendPlan, interval time.Duration) error {
	c.sender.Store(true)
	var tick *time.Ticker
	if interval > 0 {
		tick = time.NewTicker(interval)
		defer tick.Stop()
	}
	recheck := time.NewTimer(time.Hour)
	defer recheck.Stop()
	for i := 0; ; i++ {
		seq := int(r.next.Add(1) - 1)
		if seq >= plan.msgs {
			return nil
		}
		if tick != nil && i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
		}
		for plan.window > 0 {
			wait := r.waitChan()
			if r.inFlight(seq) < int64(plan.window) {
				break
			}
			recheck.Reset(100 * time.Millisecond)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-wait:
			case <-recheck.C:
				r.recount(seq) // a member dropped: some messages may be complete unnoticed
			}
		}
		msg := fmt.Appendf(nil, `{"type":"chat.message","text":"%s"}`, msgText(seq, time.Now().UnixNano()))
		if err := c.write(msg); err != nil {
			return fmt.Errorf("%s: %w", c.user, err)
		}
	}
}

// inFlight is how many of the messages before seq are still on their way.
func (r *room) inFlight(seq int) int64 {
	return int64(seq) - r.complete.Load() - r.refused.Load()
}

// recount counts again the messages before seq that every member still
// connected has received: after a drop, the receipt that completes a
// message may have come before the drop made it the last one needed.
func (r *room) recount(seq int) {
	alive, n := r.alive(), int64(0)
	for s := range min(seq, len(r.counts)) {
		if r.counts[s].Load() >= alive {
			n++
		}
	}
	if n > r.complete.Load() {
		r.complete.Store(n)
	}
}

// waitDeliveries returns when every expected delivery arrived (less those
// of messages the server refused), at deadline, or once the senders are
// done and nothing has arrived for drainIdle (what is missing by then is
// lost, not late).
func (f *fleet) waitDeliveries(ctx context.Context, expected int64, deadline time.Time, sent <-chan struct{}) {
	last, since := f.delivered.Load(), time.Now()
	waitUntil(ctx, deadline, func() bool {
		n := f.delivered.Load()
		if n >= expected-f.refusedDeliveries() {
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

// refusedDeliveries is the deliveries the refused messages would have made.
func (f *fleet) refusedDeliveries() int64 {
	var n int64
	for _, r := range f.rooms {
		n += r.refused.Load() * int64(len(r.members))
	}
	return n
}

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
