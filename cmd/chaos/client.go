package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtserver/rt/client"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// The run's clients are the Go client library (package client): it
// connects to /ws, joins the room, answers pings, reconnects with backoff,
// rejoins with since=<its position>, drops what it has already delivered,
// queues publishes while it is away and rejects what it cannot vouch for.
// This file only gives it a way in for the faults (its Config.Dial) and
// records what it handed to the application: the checker judges that.

// Backoff of the run's clients: the library's full jitter, with a shorter
// ceiling than its default (20 s) so that a client that failed a few dials
// while a node was down is back well within the run's bounded waits.
const (
	minDelay = 100 * time.Millisecond
	maxDelay = 2 * time.Second
	// publishMax bounds one Publish, queued or in flight; the library's
	// own ack timeout (its default, 10 s) is the one expected to answer.
	publishMax = 30 * time.Second
)

// world is what every client shares: where to connect and the clock of the
// last delivery anyone read (to know when the rooms are quiet).
type world struct {
	cluster      *cluster
	lastDelivery atomic.Int64 // Unix ns

	mu    sync.Mutex
	fails map[string]int // failed connection attempts by cause
}

func newWorld(c *cluster) *world {
	return &world{cluster: c, fails: map[string]int{}}
}

func (w *world) fail(cause string) {
	w.mu.Lock()
	w.fails[cause]++
	w.mu.Unlock()
}

// errNoNode is a dial while every node is down.
var errNoNode = errors.New("no node is up")

// chatClient is one member of a room: a client.Client that stays
// connected whatever happens, and sends a uniquely tagged text at a steady
// rate.
type chatClient struct {
	name string
	home int
	w    *world
	c    *client.Client
	room *client.Room

	mu         sync.Mutex // guards everything below
	rec        record
	up         bool         // between OnState Connected and the next other state
	cur        int          // index of the open connection in rec.Conns
	lastID     string       // the greatest id delivered: the library's position
	dialed     *net.TCPConn // the last connection Dial opened, and its node
	dialedNode int
	conn       *net.TCPConn // the open connection's, nil while down
	pauseUntil time.Time    // a cut client stays away until then
	sends      sync.WaitGroup
}

func newClient(w *world, room string, r, i, home int) (*chatClient, error) {
	name := fmt.Sprintf("r%dc%d", r, i)
	user := "chaos-" + name
	tok, err := rtnode.Token(user)
	if err != nil {
		return nil, err
	}
	c := &chatClient{name: name, home: home, w: w, rec: record{Name: name, Room: room, User: user, Errors: map[string]int{}}}
	c.c, err = newLibClient(w, tok, c.dial, client.Handlers{
		OnState:     c.onState,
		OnJoined:    c.onJoined,
		OnMessage:   c.onMessage,
		OnRecovered: c.onRecovered,
		OnLeft:      c.onLeft,
		OnError:     c.onError,
	})
	if err != nil {
		return nil, err
	}
	c.room = c.c.Room(room)
	return c, nil
}

// newLibClient is a client of the run: its URL names the first node, but
// dial decides where each connection really goes.
func newLibClient(w *world, tok string, dial func(context.Context, string, string) (net.Conn, error), h client.Handlers) (*client.Client, error) {
	_, port, _ := w.cluster.pick(0)
	return client.New(client.Config{
		URL:      "ws://" + net.JoinHostPort(rtnode.Loopback, strconv.Itoa(port)),
		Origin:   rtnode.Origin,
		GetToken: func(context.Context) (string, error) { return tok, nil },
		MinDelay: minDelay, MaxDelay: maxDelay,
		Dial:     dial,
		Handlers: h,
	})
}

// dial is the library's Config.Dial: it connects to the client's home node,
// or the next one up while its home is down, and keeps the connection so
// that cut can reset it. A cut client's dial waits out its pause first.
func (c *chatClient) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	c.mu.Lock()
	wait := time.Until(c.pauseUntil)
	c.mu.Unlock()
	if wait > 0 {
		if err := rtnode.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	node, port, ok := c.w.cluster.pick(c.home)
	if !ok {
		c.w.fail("no node up")
		return nil, errNoNode
	}
	conn, err := rtnode.DialLoopback(ctx, network, net.JoinHostPort(rtnode.Loopback, strconv.Itoa(port)))
	if err != nil {
		c.w.fail(rtnode.DialFailure(err))
		return nil, err
	}
	tcp, _ := conn.(*net.TCPConn)
	c.mu.Lock()
	c.dialed, c.dialedNode = tcp, node
	c.mu.Unlock()
	return conn, nil
}

// start connects the client and joins its room; the library keeps it so
// from then on.
func (c *chatClient) start(ctx context.Context) error {
	if err := c.c.Connect(ctx); err != nil {
		return err
	}
	return c.room.Join(ctx)
}

func (c *chatClient) onState(s client.State) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s.State {
	case client.Connected:
		// The handlers run in order: every delivery of the connection
		// before has been recorded, so lastID is the position the library
		// rejoins with.
		c.rec.Conns = append(c.rec.Conns, connection{Node: c.dialedNode, Since: c.lastID, Up: now})
		c.cur, c.up, c.conn = len(c.rec.Conns)-1, true, c.dialed
	default:
		if c.up {
			if e := &c.rec.Conns[c.cur]; e.Ended == "" {
				e.Ended = endReason(s)
			}
			c.up, c.conn = false, nil
		} else if s.Code != 0 {
			c.w.fail(failReason(s)) // a connection attempt refused
		}
	}
}

func (c *chatClient) onJoined(string) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up {
		if e := &c.rec.Conns[c.cur]; e.Joined.IsZero() {
			e.Joined = now
		}
	}
}

func (c *chatClient) onMessage(m client.Message) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rec.Deliveries = append(c.rec.Deliveries, delivery{ID: m.ID, User: m.User, Text: m.Text, TS: m.TS, Conn: c.cur})
	if e := &c.rec.Conns[c.cur]; e.Since != "" && e.Recovered == nil {
		e.Replayed++
	}
	c.lastID = max(c.lastID, m.ID)
	c.w.lastDelivery.Store(now.UnixNano())
}

func (c *chatClient) onRecovered(r client.Recovered) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.rec.Conns) > 0 {
		c.rec.Conns[c.cur].Recovered = &recovery{Count: r.Count, Complete: r.Complete}
	}
}

func (c *chatClient) onLeft(_, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rec.Errors["room taken away: "+reason]++
}

func (c *chatClient) onError(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rec.Errors[errCode(err)]++
}

// errCode is a server error's code, or the error in words.
func errCode(err error) string {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "error: " + err.Error()
}

// send publishes a message every 1/rate (from a random phase, so the
// clients do not all send at once) until ctx ends, connected or not: the
// library queues what it cannot send yet. Each text is the client's name
// and a sequence number: unique in the run, so the checker knows every
// message's sender. Each Publish runs on its own, so a queued one does not
// hold up the clock; wait waits for all of them.
func (c *chatClient) send(ctx context.Context, rate float64) {
	every := time.Duration(float64(time.Second) / rate)
	if rtnode.Sleep(ctx, rand.N(every)) != nil {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	pctx := context.WithoutCancel(ctx)
	for seq := 1; ; seq++ {
		text := fmt.Sprintf("%s#%d", c.name, seq)
		c.mu.Lock()
		i, conn := len(c.rec.Sends), -1
		if c.up {
			conn = c.cur
		}
		c.rec.Sends = append(c.rec.Sends, sent{Text: text, At: time.Now(), Conn: conn})
		c.rec.Sent++
		c.mu.Unlock()
		c.sends.Go(func() {
			ctx, cancel := context.WithTimeout(pctx, publishMax)
			defer cancel()
			ack, err := c.room.Publish(ctx, text, nil)
			c.mu.Lock()
			defer c.mu.Unlock()
			s := &c.rec.Sends[i]
			s.Done = time.Now()
			if err != nil {
				s.Err = sendError(err)
				return
			}
			s.ID, s.TS = ack.ID, ack.TS
		})
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sendError names why a Publish failed: the code of the library's error
// (its own, such as disconnected or queue_full, or the server's), or the
// wait running out.
func sendError(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within " + publishMax.String()
	}
	return errCode(err)
}

// waitSends waits for every Publish to be answered.
func (c *chatClient) waitSends() { c.sends.Wait() }

// cut closes the client's TCP connection abruptly (a reset, no close
// frame: a cable pulled, a phone gone into a tunnel) and keeps it away for
// pause: its next dial waits. It reports the node it was on and the id it
// will recover from, or false if the client was not connected.
func (c *chatClient) cut(pause time.Duration) (node int, since string, ok bool) {
	c.mu.Lock()
	conn := c.conn
	if !c.up || conn == nil || c.rec.Conns[c.cur].Ended != "" {
		c.mu.Unlock()
		return 0, "", false
	}
	c.pauseUntil = time.Now().Add(pause)
	e := &c.rec.Conns[c.cur]
	e.Ended = "cut" // the state the library goes to next keeps it
	node, since = e.Node, c.lastID
	c.mu.Unlock()
	_ = conn.SetLinger(0) // close sends RST
	_ = conn.Close()
	return node, since, true
}

// onNode reports whether the client is connected to node i.
func (c *chatClient) onNode(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up && c.rec.Conns[c.cur].Ended == "" && c.rec.Conns[c.cur].Node == i
}

// settled reports whether the client is connected, back in its room and,
// if it asked to recover, has been told the recovery is over, or has
// waited long enough for that to be a finding of its own (the checker
// reports it).
func (c *chatClient) settled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.up {
		return false
	}
	s := c.rec.Conns[c.cur]
	return s.Ended == "" && !s.Joined.IsZero() && (s.Since == "" || s.Recovered != nil || time.Since(s.Up) > recoverMax)
}

// recoverMax bounds the wait for a history.recovered frame at the end.
const recoverMax = 5 * time.Second

// close stops the library client.
func (c *chatClient) close() { _ = c.c.Close() }

// snapshot is a copy of the record, safe to read while the client runs.
func (c *chatClient) snapshot() *record {
	st := c.c.Stats()
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.rec
	r.Conns = append([]connection(nil), c.rec.Conns...)
	r.Deliveries = append([]delivery(nil), c.rec.Deliveries...)
	r.Sends = append([]sent(nil), c.rec.Sends...)
	r.Errors = make(map[string]int, len(c.rec.Errors))
	for k, v := range c.rec.Errors {
		r.Errors[k] = v
	}
	r.Dropped = int(st.Duplicates)
	return &r
}

// endReason says in a few words why a connection ended, from the state the
// library went to.
func endReason(s client.State) string {
	switch s.Code {
	case 0:
		if s.Reason != "" {
			return "error: " + s.Reason
		}
		return "connection lost"
	case 1006:
		return "connection lost"
	}
	return fmt.Sprintf("closed %d", s.Code)
}

// failReason names a connection attempt that failed before it opened.
func failReason(s client.State) string {
	if s.Code >= 400 && s.Code < 600 {
		return fmt.Sprintf("HTTP %d %s", s.Code, s.Reason)
	}
	return endReason(s)
}
