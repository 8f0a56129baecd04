package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// frame is every server frame this program reads, in one shape.
type frame struct {
	Type     string  `json:"type"`
	Room     string  `json:"room"`
	User     string  `json:"user"`
	Text     string  `json:"text"`
	ID       string  `json:"id"`
	TS       int64   `json:"ts"`
	Count    int     `json:"count"`
	Complete bool    `json:"complete"`
	Messages []entry `json:"messages"`
	More     bool    `json:"more"`
	Code     string  `json:"code"`
	Message  string  `json:"message"`
}

var pong = []byte(`{"type":"system.pong"}`)

// world is what every client shares: where to connect and the clock of the
// last delivery anyone read (to know when the rooms are quiet).
type world struct {
	cluster      *cluster
	dialer       *websocket.Dialer
	lastDelivery atomic.Int64 // Unix ns

	mu    sync.Mutex
	fails map[string]int // failed dials by cause
}

func newWorld(c *cluster) *world {
	return &world{cluster: c, fails: map[string]int{}, dialer: &websocket.Dialer{
		NetDialContext: rtnode.DialLoopback, HandshakeTimeout: 5 * time.Second,
		ReadBufferSize: 4096, WriteBufferSize: 1024,
	}}
}

// dial opens a socket to room on port, asking to recover after since when
// it is not empty. A refusal is returned with its HTTP status and body.
func (w *world) dial(ctx context.Context, port int, room, tok, since string) (*websocket.Conn, error) {
	ws, resp, err := w.dialer.DialContext(ctx, rtnode.WSURL(port, room, tok, since), http.Header{"Origin": {rtnode.Origin}})
	if err != nil {
		cause := "no answer"
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
			resp.Body.Close()
			cause = fmt.Sprintf("HTTP %d %s", resp.StatusCode, body)
			err = fmt.Errorf("%s: %w", cause, err)
		}
		w.mu.Lock()
		w.fails[cause]++
		w.mu.Unlock()
		return nil, err
	}
	return ws, nil
}

// chatClient is one member of a room: it stays connected whatever happens,
// reconnecting with since=<the greatest id it read>, and sends a uniquely
// tagged text at a steady rate while connected.
type chatClient struct {
	home int
	tok  string
	w    *world

	mu         sync.Mutex // guards everything below
	rec        record
	ws         *websocket.Conn // nil while down
	cur        int             // index of the open connection
	lastID     string
	pauseUntil time.Time // a cut client stays away until then

	wmu sync.Mutex // one writer at a time: the sender and the reader's pongs
}

func newClient(w *world, room string, r, i, home int) (*chatClient, error) {
	name := fmt.Sprintf("r%dc%d", r, i)
	user := "chaos-" + name
	tok, err := rtnode.Token(user)
	if err != nil {
		return nil, err
	}
	return &chatClient{home: home, tok: tok, w: w, rec: record{Name: name, Room: room, User: user, Errors: map[string]int{}}}, nil
}

// run keeps the client connected until ctx ends. A failed dial (a node
// starting or draining, a refused port) is retried with backoff.
func (c *chatClient) run(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		c.mu.Lock()
		wait, since := time.Until(c.pauseUntil), c.lastID
		c.mu.Unlock()
		if wait > 0 && rtnode.Sleep(ctx, wait) != nil {
			return
		}
		node, port, ok := c.w.cluster.pick(c.home)
		if !ok {
			_ = rtnode.Sleep(ctx, backoff)
			continue
		}
		ws, err := c.w.dial(ctx, port, c.rec.Room, c.tok, since)
		if err != nil {
			_ = rtnode.Sleep(ctx, backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		if c.serve(ctx, ws, node, since) {
			backoff = 50 * time.Millisecond
			continue
		}
		// The server closed it soon after it opened (a recovery it could
		// not read while Redis was away, say): back off like a real client
		// rather than redial at once, over and over.
		_ = rtnode.Sleep(ctx, backoff)
		backoff = min(2*backoff, time.Second)
	}
}

// serve reads one connection until it ends; it reports false when the
// server ended it within a second of its opening.
func (c *chatClient) serve(ctx context.Context, ws *websocket.Conn, node int, since string) (healthy bool) {
	c.mu.Lock()
	c.rec.Conns = append(c.rec.Conns, connection{Node: node, Since: since, Up: time.Now()})
	idx := len(c.rec.Conns) - 1
	c.ws, c.cur = ws, idx
	c.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			s := &c.rec.Conns[idx]
			if s.Ended == "" && ctx.Err() == nil {
				s.Ended = endReason(err)
			}
			healthy = s.Ended == "cut" || s.Ended == "closed 1001" || time.Since(s.Up) >= time.Second
			if c.ws == ws {
				c.ws = nil
			}
			c.mu.Unlock()
			ws.Close()
			return healthy
		}
		c.handle(ws, idx, data)
	}
}

func (c *chatClient) handle(ws *websocket.Conn, idx int, data []byte) {
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		c.mu.Lock()
		c.rec.Errors["unreadable frame"]++
		c.mu.Unlock()
		return
	}
	now := time.Now()
	c.mu.Lock()
	s := &c.rec.Conns[idx]
	if s.Joined.IsZero() {
		s.Joined = now
	}
	switch f.Type {
	case "chat.delivery":
		c.rec.Deliveries = append(c.rec.Deliveries, delivery{ID: f.ID, User: f.User, Text: f.Text, TS: f.TS, Conn: idx})
		if s.Since != "" && s.Recovered == nil {
			s.Replayed++
		}
		c.lastID = max(c.lastID, f.ID)
		c.w.lastDelivery.Store(now.UnixNano())
	case "history.recovered":
		s.Recovered = &recovery{Count: f.Count, Complete: f.Complete}
	case "system.error":
		c.rec.Errors[f.Code]++
	}
	c.mu.Unlock()
	if f.Type == "system.ping" {
		_ = c.write(ws, pong)
	}
}

// write sends one text frame; a socket that does not take it within a few
// seconds is as good as gone.
func (c *chatClient) write(ws *websocket.Conn, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = ws.SetWriteDeadline(time.Now().Add(3 * time.Second))
	return ws.WriteMessage(websocket.TextMessage, data)
}

// send writes a chat.message every 1/rate (from a random phase, so the
// clients do not all send at once) until ctx ends, skipping the ticks when
// it is not connected. Each text is the client's name and a sequence
// number: unique in the run, so the checker knows every message's sender.
func (c *chatClient) send(ctx context.Context, rate float64) {
	every := time.Duration(float64(time.Second) / rate)
	if rtnode.Sleep(ctx, rand.N(every)) != nil {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for seq := 1; ; {
		c.mu.Lock()
		ws, cur := c.ws, c.cur
		c.mu.Unlock()
		if ws != nil {
			text := fmt.Sprintf("%s#%d", c.rec.Name, seq)
			msg, _ := json.Marshal(map[string]string{"type": "chat.message", "text": text})
			seq++
			if c.write(ws, msg) == nil {
				c.mu.Lock()
				c.rec.Sent++
				c.rec.Sends = append(c.rec.Sends, sent{Text: text, At: time.Now(), Conn: cur})
				c.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// cut closes the client's TCP connection abruptly (a reset, no close
// frame: a cable pulled, a phone gone into a tunnel) and keeps it away for
// pause. It reports the node it was on and the id it will recover from,
// or false if the client was not connected.
func (c *chatClient) cut(pause time.Duration) (node int, since string, ok bool) {
	c.mu.Lock()
	ws := c.ws
	if ws == nil {
		c.mu.Unlock()
		return 0, "", false
	}
	c.ws = nil
	c.pauseUntil = time.Now().Add(pause)
	s := &c.rec.Conns[c.cur]
	s.Ended = "cut"
	node, since = s.Node, c.lastID
	c.mu.Unlock()
	if tcp, ok := ws.NetConn().(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close sends RST
	}
	_ = ws.NetConn().Close()
	return node, since, true
}

// onNode reports whether the client is connected to node i.
func (c *chatClient) onNode(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws != nil && c.rec.Conns[c.cur].Node == i
}

// settled reports whether the client is connected and, if it asked to
// recover, has been told the recovery is over, or has waited long enough
// for that to be a finding of its own (the checker reports it).
func (c *chatClient) settled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ws == nil {
		return false
	}
	s := c.rec.Conns[c.cur]
	return s.Since == "" || s.Recovered != nil || time.Since(s.Up) > recoverMax
}

// recoverMax bounds the wait for a history.recovered frame at the end.
const recoverMax = 5 * time.Second

// snapshot is a copy of the record, safe to read while the client runs.
func (c *chatClient) snapshot() *record {
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
	return &r
}

// endReason says in a few words why a connection ended.
func endReason(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("closed %d", ce.Code)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "connection lost"
	}
	return "error: " + err.Error()
}
