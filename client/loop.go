package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/fasthttp/websocket"
)

// outcome is how one connection attempt ended.
type outcome struct {
	state    State // Connecting with the drop's code, or Disconnected to stop
	stop     bool  // do not reconnect
	dropped  bool  // state carries a close code or handshake status
	gotFrame bool  // the socket was open and the server spoke: reset the backoff
}

// run is the connection loop: connect, serve the socket until it drops,
// wait a full-jitter backoff, again, until a permanent close or ctx ends.
func (c *Client) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	lastCode := 0
	for attempt := 0; ; attempt++ {
		out := c.connectOnce(ctx, lastCode)
		if ctx.Err() != nil {
			return
		}
		if out.stop {
			c.stop(out.state)
			return
		}
		if out.gotFrame {
			attempt = 0
		}
		if out.dropped {
			lastCode = out.state.Code
			c.toConnecting(out.state)
		}
		if !sleep(ctx, backoff(attempt, c.cfg.MinDelay, c.cfg.MaxDelay, jitter)) {
			return
		}
	}
}

// connectOnce gets a token, dials and serves one socket. lastCode is the
// previous drop's close code: a GetToken refusal after a 4001 stops with
// 4001, any other with 0.
func (c *Client) connectOnce(ctx context.Context, lastCode int) outcome {
	tok, err := c.cfg.GetToken(ctx)
	if err == nil && lastCode == 4001 && expired(tok, time.Now()) {
		err = ErrUnauthorized // after a 4001, a token that has expired too is no new token
	}
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			code := 0
			if lastCode == 4001 {
				code = 4001
			}
			return outcome{state: State{State: Disconnected, Code: code, Reason: ErrUnauthorized.Code}, stop: true}
		}
		if ctx.Err() == nil {
			c.report(fmt.Errorf("rt: GetToken: %w", err))
		}
		return outcome{}
	}
	conn, resp, err := c.dialer.DialContext(ctx, c.wsURL+"?token="+url.QueryEscape(tok), c.header)
	if err != nil {
		return dialFailure(resp, err)
	}
	return c.serve(conn, tok)
}

// dialFailure classifies a refused or failed handshake: 400, 403 and 404
// will not change by retrying (bad room, origin, path) and stop; anything
// else (401 with a new token next time, 429, 503, a refused dial) retries.
func dialFailure(resp *http.Response, err error) outcome {
	if resp == nil {
		return outcome{state: State{State: Connecting, Code: websocket.CloseAbnormalClosure, Reason: err.Error()}, dropped: true}
	}
	reason := bodyCode(resp)
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
		return outcome{state: State{State: Disconnected, Code: resp.StatusCode, Reason: reason}, stop: true}
	}
	return outcome{state: State{State: Connecting, Code: resp.StatusCode, Reason: reason}, dropped: true}
}

// bodyCode is the error code of a refused handshake's {"error":"…"} body.
func bodyCode(resp *http.Response) string {
	var body struct {
		Error string `json:"error"`
	}
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = json.Unmarshal(b, &body)
	}
	if body.Error == "" {
		return http.StatusText(resp.StatusCode)
	}
	return body.Error
}

// serve runs one open socket to its end and says how it ended.
func (c *Client) serve(conn *websocket.Conn, tok string) outcome {
	s := newSession(conn)
	if !c.attach(s, tok) {
		conn.Close()
		return outcome{}
	}
	go s.writeLoop(c.lim)
	code, reason := c.readLoop(s)
	s.end()
	c.detach(s)
	c.mu.Lock()
	req := c.stopReq
	c.mu.Unlock()
	switch {
	case req != nil:
		return outcome{state: *req, stop: true}
	case code == websocket.ClosePolicyViolation || code == 4003:
		return outcome{state: State{State: Disconnected, Code: code, Reason: reason}, stop: true}
	}
	return outcome{state: State{State: Connecting, Code: code, Reason: reason}, dropped: true, gotFrame: s.gotFrame}
}

// readLoop reads and handles frames until the socket ends, and returns
// its close code and reason (1006 when no close frame came).
//
// The read deadline is moved forward at most every MaxSilence/16, not at
// every frame (a deadline change is a runtime timer update): a silent
// socket is taken for dead after 15/16 to all of MaxSilence. Each frame is
// read into the buffer of the one before: parseFrame copies what it keeps.
func (c *Client) readLoop(s *session) (int, string) {
	var buf []byte
	var moved time.Time
	for {
		if now := time.Now(); now.Sub(moved) >= c.cfg.MaxSilence/16 {
			_ = s.conn.SetReadDeadline(now.Add(c.cfg.MaxSilence))
			moved = now
		}
		data, err := readMessage(s.conn, buf)
		if buf = data[:0]; cap(buf) > maxKeptBuffer {
			buf = nil // a big frame's buffer is not kept for the small ones
		}
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Text
			}
			return websocket.CloseAbnormalClosure, err.Error()
		}
		s.gotFrame = true
		if c.cfg.NoPresence && isPresence(data) {
			continue
		}
		f, err := parseFrame(data)
		c.mu.Lock()
		if err != nil {
			c.report(fmt.Errorf("rt: unreadable frame: %w", err))
		} else {
			c.handle(s, f)
		}
		c.mu.Unlock()
	}
}

// attach makes s the current socket: Connected, then every wanted room
// rejoined (with since = its position), then the refresh timer. False
// when Close came first.
func (c *Client) attach(s *session, tok string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.sess = s
	s.reconnect = c.everConnected
	c.everConnected = true
	c.stats.connects.Add(1)
	if s.reconnect {
		c.stats.reconnects.Add(1)
	}
	c.setState(State{State: Connected})
	for _, name := range slices.Sorted(maps.Keys(c.rooms)) {
		if r := c.rooms[name]; r.wanted {
			c.sendJoin(r)
		}
	}
	c.scheduleRefresh(s, tok)
	return true
}

// detach forgets s: requests sent on it can no longer be answered.
// Publishes and history reads fail with ErrDisconnected (a publish may or
// may not have gone out: it is never resent); rooms wait for the rejoin.
func (c *Client) detach(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = nil
	c.stopTimer(c.refreshTimer)
	c.refreshTimer = nil
	for _, k := range c.calls {
		c.finish(k, result{err: ErrDisconnected})
	}
	for _, r := range c.rooms {
		r.joined, r.joining = false, false
		if r.leaving {
			r.leaving = false
			resolve(&r.leaveWaiters, nil)
		}
	}
}

// stop ends the loop for good with st; the rooms stay wanted for a later
// Connect, but nobody waits for them now.
func (c *Client) stop(st State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = false
	for _, r := range c.rooms {
		c.rejectQueue(r, ErrDisconnected)
		resolve(&r.joinWaiters, stopError(st))
	}
	c.setState(st)
}

// toConnecting announces a transient drop, unless Close came first.
func (c *Client) toConnecting(st State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.setState(st)
	}
}

// report sends an error to OnError.
func (c *Client) report(err error) { c.emitError(err) }

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// maxKeptBuffer is the largest read buffer a session keeps between frames.
const maxKeptBuffer = 64 << 10

// readMessage reads the next data message into buf's storage, growing it
// as needed: unlike (*websocket.Conn).ReadMessage, it allocates nothing per
// message once buf has grown to the usual size.
func readMessage(conn *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := conn.NextReader()
	if err != nil {
		return buf[:0], err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
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
