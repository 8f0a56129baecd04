package main

import (
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	rtclient "github.com/rtserver/rt/client"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// The multiroom scenario's sockets are clients of the Go client library
// (package client), as an application's would be: Connect to /ws, then
// Room(name).Join for each room, Publish with acks, OnMessage for the
// deliveries. The library pongs and paces what it sends under the
// server's rate limit. They run with Config.NoPresence, as a client that
// shows no member list would: no presence.list after each join, and the
// server's presence frames skipped unread. Presence is not what this
// scenario measures, and keeping it would not fit in one generator:
// 10,000 sockets in 20 rooms of 1,000 hold 200 million set entries, and
// the server's 16 million presence frames while they join would each be
// decoded and folded. Config.Dial counts the bytes the server sends,
// which is how the run knows the server has gone quiet after the joins.

// socketJoinMax bounds one socket's wait for the answers to its joins.
const socketJoinMax = 30 * time.Second

// mrClient is one socket of the multiroom scenario: in no room at the
// handshake, then in its layout's rooms.
type mrClient struct {
	idx       int
	user, tok string
	c         *rtclient.Client
	rooms     []*rtclient.Room // per slot

	// Written by open, read after openAll.
	connected bool
	joinStart int64 // Unix ns Connect returned: the joins had been sent
	joinDone  int64 // Unix ns the last Join returned, all of them joined; 0 if not
	nJoined   int

	mu         sync.Mutex // open and the handlers: the joining's end
	joining    bool
	stopJoin   context.CancelFunc // ends the joining: a refusal without a ref
	refusal    string             // the code of the first error answering a join
	connectErr string             // why the last connection attempt failed

	// Written by the client's handlers (its one dispatcher goroutine);
	// read after mrFleet.close.
	counts []slotCount // per slot
	lat    []int64     // delivery latencies, ns
	last   int64       // Unix ns of the last delivery
	up     bool        // connected, as the handlers saw it
	ended  string      // how the server last ended the socket; "" if it did not
}

// mrFleet is every socket of a multiroom run and what they read.
type mrFleet struct {
	l       layout
	prefix  string
	names   []string // room r's name
	port    int
	clients []*mrClient

	delivered, stray, joinedSockets atomic.Int64
	bytesRead                       atomic.Int64 // what the server sent, all sockets
	lastFrame                       atomic.Int64 // Unix ns of the last read from any socket
	sent, acked, refused            []atomic.Int64
	closing                         atomic.Bool
	closeOnce                       sync.Once

	mu       sync.Mutex
	ends     map[string]int // how the server ended sockets
	fails    map[string]int // sockets that did not connect, by the cause of their last attempt
	refusals map[string]int // joins answered with an error, by code
	errs     map[string]int // every server error read, by code
}

// newMRFleet makes conns clients, one user each (MAX_CONNS_PER_USER is
// per user), and signs their tokens up front. limits are the server
// settings the run raised: the library's pacing is raised with them, in the
// proportion of its defaults to the server's (15/s and 30 to 20/s and 40).
func newMRFleet(port, conns int, l layout, prefix string, limits map[string]string) (*mrFleet, error) {
	var sendRate float64
	var sendBurst int
	if n, err := strconv.Atoi(limits["RATE_LIMIT"]); err == nil {
		sendRate = float64(n) * 3 / 4
	}
	if n, err := strconv.Atoi(limits["RATE_BURST"]); err == nil {
		sendBurst = n * 3 / 4
	}
	f := &mrFleet{l: l, prefix: prefix, port: port, clients: make([]*mrClient, conns),
		names: make([]string, l.rooms), acked: make([]atomic.Int64, l.rooms), refused: make([]atomic.Int64, l.rooms),
		sent: make([]atomic.Int64, l.rooms), ends: map[string]int{}, fails: map[string]int{}, refusals: map[string]int{}, errs: map[string]int{}}
	f.lastFrame.Store(time.Now().UnixNano())
	for r := range f.names {
		f.names[r] = prefix + "-" + strconv.Itoa(r)
	}
	url := "ws://" + net.JoinHostPort(loopback, strconv.Itoa(port))
	for i := range f.clients {
		c := &mrClient{idx: i, user: "m" + strconv.Itoa(i), counts: make([]slotCount, l.perConn)}
		tok, err := token(c.user)
		if err != nil {
			return nil, err
		}
		c.tok = tok
		c.c, err = rtclient.New(rtclient.Config{
			URL: url, Origin: origin,
			GetToken: func(context.Context) (string, error) { return tok, nil },
			MinDelay: 100 * time.Millisecond, MaxDelay: time.Second,
			SendRate: sendRate, SendBurst: sendBurst, // 0: the library's defaults
			NoPresence: true,
			Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return f.dial(ctx, c, network, addr)
			},
			Handlers: rtclient.Handlers{
				OnState:   func(s rtclient.State) { f.onState(c, s) },
				OnMessage: func(m rtclient.Message) { f.onMessage(c, m) },
				OnError:   func(err error) { f.onError(c, err) },
			},
		})
		if err != nil {
			return nil, err
		}
		c.rooms = make([]*rtclient.Room, l.perConn)
		for k := range c.rooms {
			c.rooms[k] = c.c.Room(f.names[l.room(i, k)])
		}
		f.clients[i] = c
	}
	return f, nil
}

// dial is c's Config.Dial: loopback only, and every read counted.
func (f *mrFleet) dial(ctx context.Context, c *mrClient, network, addr string) (net.Conn, error) {
	conn, err := rtnode.DialLoopback(ctx, network, addr)
	if err != nil {
		c.mu.Lock()
		c.connectErr = rtnode.DialFailure(err)
		c.mu.Unlock()
		return nil, err
	}
	return &countingConn{Conn: conn, f: f}, nil
}

// countingConn counts what the server sends and when it last sent.
type countingConn struct {
	net.Conn
	f *mrFleet
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.f.bytesRead.Add(int64(n))
		c.f.lastFrame.Store(time.Now().UnixNano())
	}
	return n, err
}

// openAll connects every socket and has it join its rooms, dialers at a
// time: a dialer takes its next socket once this one's joins are all
// answered (or one refused, or socketJoinMax passed).
func (f *mrFleet) openAll(ctx context.Context, dialers int) {
	inPool(ctx, f.clients, dialers, func(c *mrClient) { f.open(ctx, c) })
}

// open calls Join for each of c's rooms and then connects c (a socket
// that is not open within dialMax is given up: its client is closed), and
// waits for the answers. Joined while not yet connected, the rooms are
// wanted when the socket opens, so the library sends their room.join
// frames together, back to back, as it attaches the socket: the burst the
// server joins together, as the hand-written fleet this replaced wrote it.
func (f *mrFleet) open(ctx context.Context, c *mrClient) {
	jctx, stop := context.WithTimeout(ctx, dialMax+socketJoinMax)
	defer stop()
	c.mu.Lock()
	c.joining, c.stopJoin = true, stop
	c.mu.Unlock()
	errs := make(chan error, len(c.rooms))
	for _, r := range c.rooms {
		go func() { errs <- r.Join(jctx) }()
	}
	cctx, cancel := context.WithTimeout(ctx, dialMax)
	err := c.c.Connect(cctx)
	cancel()
	if err != nil {
		c.mu.Lock()
		cause := c.connectErr
		c.mu.Unlock()
		if cause == "" {
			cause = "not connected: " + errText(err)
		}
		f.count(f.fails, cause)
		_ = c.c.Close()
		stop()
		for range c.rooms {
			<-errs
		}
		c.mu.Lock()
		c.joining = false
		c.mu.Unlock()
		return
	}
	c.connected = true
	c.joinStart = time.Now().UnixNano()
	var refused error
	for range c.rooms {
		if err := <-errs; err == nil {
			c.nJoined++
		} else if refused == nil {
			refused = err
			stop() // one refused: the socket's joining is over
		}
	}
	now := time.Now().UnixNano()
	c.mu.Lock()
	c.joining = false
	if refused != nil && c.refusal == "" {
		c.refusal = errText(refused)
		f.count(f.refusals, c.refusal)
	}
	c.mu.Unlock()
	if c.nJoined == len(c.rooms) {
		c.joinDone = now
		f.joinedSockets.Add(1)
	}
}

// close closes every client, 100 at a time, and waits for them (each
// waits for its handlers); after it, what the handlers wrote can be read.
func (f *mrFleet) close() {
	f.closeOnce.Do(func() {
		f.closing.Store(true)
		inPool(context.Background(), f.clients, 100, func(c *mrClient) { _ = c.c.Close() })
	})
}
