package redisbus

import (
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/presence/presencetest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// JoinAll of 100 rooms costs one round trip: with every reply from Redis
// held back, all 100 join scripts still reach Redis and run, so the client
// sent them all before it could have read a single reply.
func TestRedisJoinAllIsOneRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	gate := startReplyGate(t, srv.Addr())
	s := NewPresence(quietClient(t, gate.addr()), presencetest.LongTTL, redis.NewStats())
	obs := redistest.NewClient(t, srv.Addr())
	// Redis now knows the script, so the batch below is EVALSHA alone.
	presencetest.WantJoin(t, s, presenceEntry("trip-warm", "u", "c"), presence.RoomEdge)

	const n = 100
	entries := make([]presence.Entry, n)
	for i := range entries {
		entries[i] = presenceEntry(fmt.Sprintf("trip-%d", i), "u", "c")
	}
	before := commandCalls(t, obs, "evalsha")
	gate.hold()
	type result struct {
		edges []presence.Edge
		err   error
	}
	done := make(chan result, 1)
	go func() {
		edges, err := s.JoinAll(t.Context(), entries)
		done <- result{edges, err}
	}()
	ran := int64(0)
	for deadline := time.Now().Add(5 * time.Second); ran < n && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		ran = commandCalls(t, obs, "evalsha") - before
	}
	if ran != n {
		t.Fatalf("%d of %d join scripts ran while Redis's replies were held back: "+
			"JoinAll waits for a reply before sending the rest", ran, n)
	}
	select {
	case r := <-done:
		t.Fatalf("JoinAll returned %v, %v with every reply held back", r.edges, r.err)
	default:
	}
	gate.release()
	r := <-done
	if r.err != nil || !slices.Equal(r.edges, slices.Repeat([]presence.Edge{presence.RoomEdge}, n)) {
		t.Fatalf("JoinAll = %v, %v; want %d room edges", r.edges, r.err, n)
	}
}

// quietClient is a client to addr with one connection that never pings on
// its own. rueidis otherwise pipelines over a connection picked at random
// from several, dialled on first use, and pings an idle one every second
// (Dialer.KeepAlive): a handshake or ping whose reply the gate holds would
// keep the batch behind it from being sent.
func quietClient(t *testing.T, addr string) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:       []string{addr},
		DisableCache:      true,
		Dialer:            net.Dialer{KeepAlive: -1},
		PipelineMultiplex: -1,
	})
	if err != nil {
		t.Fatalf("rueidis.NewClient: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// replyGate is a TCP proxy to a Redis that passes commands through at
// once and can hold back the replies.
type replyGate struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
	held  chan struct{} // non-nil while replies are held; closed to let them through
}

// startReplyGate proxies to target until the test ends.
func startReplyGate(t *testing.T, target string) *replyGate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &replyGate{ln: ln, target: target}
	g.wg.Go(g.accept)
	t.Cleanup(g.close)
	return g
}

func (g *replyGate) addr() string { return g.ln.Addr().String() }

func (g *replyGate) accept() {
	for {
		client, err := g.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.Dial("tcp", g.target)
		if err != nil {
			client.Close()
			continue
		}
		g.mu.Lock()
		g.conns = append(g.conns, client, server)
		g.mu.Unlock()
		g.wg.Go(func() {
			_, _ = io.Copy(server, client)
			server.Close()
		})
		g.wg.Go(func() {
			g.replies(client, server)
			client.Close()
		})
	}
}

// replies copies what server sends to client, waiting while replies are
// held.
func (g *replyGate) replies(client, server net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			g.mu.Lock()
			held := g.held
			g.mu.Unlock()
			if held != nil {
				<-held
			}
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// hold holds back every reply from now until release.
func (g *replyGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held == nil {
		g.held = make(chan struct{})
	}
}

// release lets the held replies through, and those that follow.
func (g *replyGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held != nil {
		close(g.held)
		g.held = nil
	}
}

func (g *replyGate) close() {
	g.ln.Close()
	g.release()
	g.mu.Lock()
	for _, c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
}
