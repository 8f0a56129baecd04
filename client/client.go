package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"golang.org/x/time/rate"
)

// Config configures a Client. URL and GetToken are required; the rest
// have defaults.
type Config struct {
	// URL is the server's base URL, "ws://host:port" or "wss://…" (http
	// and https are accepted and mapped); the client adds /ws.
	URL string
	// Origin is sent as the Origin header, which rt requires; default:
	// URL with the http(s) scheme.
	Origin string
	// GetToken returns the JWT to connect with. It is called at every
	// connect and reconnect, after a 4001 close, and before the current
	// token's exp to refresh it on the open socket. An error that
	// errors.Is ErrUnauthorized at a connect stops the client
	// (Disconnected); for a refresh it means no new token, so the socket
	// serves until exp and the 4001 then stops the client. Any other error
	// is transient and retried with backoff; a token that expires no later
	// than the current one is not sent as a refresh. It should honour ctx:
	// Close waits for it.
	GetToken func(ctx context.Context) (string, error)
	// MinDelay and MaxDelay bound the full-jitter reconnect backoff;
	// defaults 500 ms and 20 s.
	MinDelay, MaxDelay time.Duration
	// PublishQueue bounds the publishes waiting for their room to be
	// (re)joined; default 100. Beyond it Publish fails with ErrQueueFull.
	PublishQueue int
	// AckTimeout bounds the wait for a publish's ack and a history page;
	// default 10 s.
	AckTimeout time.Duration
	// Dial, if set, opens the TCP connections (a proxy, a test's cutter).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// SendRate and SendBurst pace every frame the client sends (pongs
	// excepted) so that a rejoin of many rooms stays under the server's
	// rate limit (20/s, burst 40 by default); defaults 15/s and 30. Raise
	// them only against a server configured with a higher RATE_LIMIT.
	SendRate  float64
	SendBurst int
	// MaxSilence is how long the socket may stay silent before it is
	// taken for dead and redialed (a network path can vanish without a
	// close); the server pings every HEARTBEAT_INTERVAL, 25 s by default,
	// so keep it above that. Default 60 s, as the JavaScript client's.
	MaxSilence time.Duration
	// NoPresence turns presence off for a client that never shows who is
	// in a room (a bot, a backend consumer, a load generator): no
	// presence.list after a join, presence frames skipped before they are
	// decoded, no user sets kept; OnPresence is never called and
	// Room.Users is empty. In a room of n users, presence otherwise costs
	// a presence.state of n names per join (for the server too) and a set
	// of n per room kept up to date.
	NoPresence bool
	// Handlers are the event callbacks; see Handlers for how they run.
	Handlers Handlers
}

const (
	handshakeTimeout = 10 * time.Second
	writeTimeout     = 10 * time.Second
	closeWait        = time.Second // for the server's echo of our close
)

// Client is one connection to rt, kept open across drops, carrying any
// number of rooms. Its methods are safe for concurrent use. Call Close
// when done: it is what ends the client's goroutines.
type Client struct {
	cfg    Config
	wsURL  string
	header http.Header
	dialer *websocket.Dialer
	lim    *rate.Limiter
	disp   *dispatcher
	stats  counters

	mu            sync.Mutex
	state         State
	changed       chan struct{} // closed and replaced at every state change
	rooms         map[string]*Room
	calls         map[string]*call // requests waiting for an answer, by ref
	refs          uint64
	queued        int // publishes in the rooms' queues
	sess          *session
	everConnected bool
	running       bool // the connection loop runs
	closed        bool
	cancel        context.CancelFunc
	loopDone      chan struct{}
	stopReq       *State // a stop decided off the loop (a refresh refused)
	refreshTimer  *time.Timer
	live          map[*time.Timer]struct{}
	timers        sync.WaitGroup
}

type counters struct {
	connects, reconnects, messages, duplicates, replayed, acks, refreshes, pongs atomic.Uint64
}

// New checks cfg and returns an idle client; Connect starts it.
func New(cfg Config) (*Client, error) {
	if cfg.GetToken == nil {
		return nil, errors.New("rt: Config.GetToken is required")
	}
	wsURL, origin, err := endpoints(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Origin == "" {
		cfg.Origin = origin
	}
	applyDefaults(&cfg)
	c := &Client{
		cfg:     cfg,
		wsURL:   wsURL,
		header:  http.Header{"Origin": {cfg.Origin}},
		dialer:  &websocket.Dialer{NetDialContext: cfg.Dial, HandshakeTimeout: handshakeTimeout},
		lim:     rate.NewLimiter(rate.Limit(cfg.SendRate), cfg.SendBurst),
		changed: make(chan struct{}),
		rooms:   map[string]*Room{},
		calls:   map[string]*call{},
		live:    map[*time.Timer]struct{}{},
	}
	c.disp = newDispatcher(c.handlerPanicked)
	return c, nil
}

func applyDefaults(cfg *Config) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.MinDelay, 500*time.Millisecond)
	def(&cfg.MaxDelay, 20*time.Second)
	def(&cfg.AckTimeout, 10*time.Second)
	def(&cfg.MaxSilence, 60*time.Second)
	if cfg.MaxDelay < cfg.MinDelay {
		cfg.MaxDelay = cfg.MinDelay
	}
	if cfg.PublishQueue <= 0 {
		cfg.PublishQueue = 100
	}
	if cfg.SendRate <= 0 {
		cfg.SendRate = 15
	}
	if cfg.SendBurst <= 0 {
		cfg.SendBurst = 30
	}
}

// endpoints turns the base URL into the socket URL (path /ws) and the
// default Origin (the same host with http or https).
func endpoints(base string) (wsURL, origin string, err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", "", err
	}
	web := map[string]string{"ws": "http", "wss": "https", "http": "http", "https": "https"}
	sock := map[string]string{"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}
	scheme := strings.ToLower(u.Scheme)
	if sock[scheme] == "" || u.Host == "" {
		return "", "", errors.New("rt: Config.URL must be ws://host[:port] or wss://host[:port]")
	}
	origin = web[scheme] + "://" + u.Host
	u.Scheme, u.Path, u.RawPath, u.RawQuery, u.Fragment = sock[scheme], strings.TrimSuffix(u.Path, "/")+"/ws", "", "", ""
	return u.String(), origin, nil
}

// Connect starts the connection loop and returns once the socket is open,
// or with ctx's error when ctx ends first (the loop then keeps trying in
// the background), or with the reason the client stopped for good (a
// refused handshake, GetToken's ErrUnauthorized…). After such a stop,
// Connect starts again; after Close it returns ErrClosed.
func (c *Client) Connect(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if !c.running {
		c.start()
	}
	for {
		st, changed, running, closed := c.state, c.changed, c.running, c.closed
		c.mu.Unlock()
		switch {
		case closed:
			return ErrClosed
		case st.State == Connected:
			return nil
		case !running:
			return stopError(st)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return waitError(ctx.Err(), c.State())
		}
		c.mu.Lock()
	}
}

// waitError is ctx's error, with why the last attempt failed when one did,
// so that a Connect that gives up on a refusing server says why (a 401
// token_invalid is retried with a new token, not returned at once).
func waitError(err error, st State) error {
	if st.Code == 0 {
		return err
	}
	return fmt.Errorf("%w (last attempt: %d %s)", err, st.Code, st.Reason)
}

// start launches the loop; c.mu is held. A loop that stopped for good is
// past its last use of c.mu, so waiting for it here cannot deadlock, and
// there is never more than one.
func (c *Client) start() {
	if c.loopDone != nil {
		<-c.loopDone
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.running, c.stopReq = cancel, true, nil
	c.loopDone = make(chan struct{})
	c.setState(State{State: Connecting})
	go c.run(ctx, c.loopDone)
}

// Close closes the socket with 1000, stops reconnecting, fails everything
// pending with ErrDisconnected, and returns once every goroutine of the
// client has ended, the dispatcher's included (after the handlers queued
// so far, the last being OnState Disconnected). Do not call it from a
// handler. It is safe to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	done, s := c.loopDone, c.sess
	if c.cancel != nil {
		c.cancel()
	}
	c.failAll(ErrDisconnected)
	c.mu.Unlock()
	if done != nil {
		c.endLoop(s, done)
	}
	c.mu.Lock()
	c.stopTimers()
	c.running = false
	c.setState(State{State: Disconnected, Code: websocket.CloseNormalClosure})
	c.mu.Unlock()
	c.timers.Wait()
	c.disp.stop()
	return nil
}

// endLoop closes the socket politely and waits for the loop, cutting the
// TCP connection if the server does not echo the close in time.
func (c *Client) endLoop(s *session, done chan struct{}) {
	if s == nil {
		<-done
		return
	}
	s.closeNormal()
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.conn.Close()
		<-done
	}
}

// State is the current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	queued := c.queued
	c.mu.Unlock()
	return Stats{
		Connects:   c.stats.connects.Load(),
		Reconnects: c.stats.reconnects.Load(),
		Messages:   c.stats.messages.Load(),
		Duplicates: c.stats.duplicates.Load(),
		Replayed:   c.stats.replayed.Load(),
		Acks:       c.stats.acks.Load(),
		Refreshes:  c.stats.refreshes.Load(),
		Pongs:      c.stats.pongs.Load(),
		Queued:     queued,
	}
}

// Room returns the room named name, the same *Room for the same name. It
// does not join it.
func (c *Client) Room(name string) *Room {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.room(name)
}

func (c *Client) room(name string) *Room {
	r := c.rooms[name]
	if r == nil {
		r = &Room{c: c, name: name}
		c.rooms[name] = r
	}
	return r
}

// setState records st and announces it; c.mu is held.
func (c *Client) setState(st State) {
	if st == c.state {
		return
	}
	c.state = st
	close(c.changed)
	c.changed = make(chan struct{})
	if h := c.cfg.Handlers.OnState; h != nil {
		c.disp.push(func() { h(st) })
	}
}

// newRef is the next request ref: short, printable, unique per client.
func (c *Client) newRef() string {
	c.refs++
	return formatRef(c.refs)
}

// failAll answers every pending request and queued publish with err; c.mu
// is held.
func (c *Client) failAll(err error) {
	for _, k := range c.calls {
		c.finish(k, result{err: err})
	}
	for _, r := range c.rooms {
		c.rejectQueue(r, err)
		resolve(&r.joinWaiters, err)
		resolve(&r.leaveWaiters, err)
	}
}
