package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/rueidis"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/app"
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/redisbus"
	"github.com/rtserver/rt/modules/clientjs"
	"github.com/rtserver/rt/modules/demo"
	"github.com/rtserver/rt/modules/health"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/metrics"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// chats checks a node serves a room: a member sees its join and its message.
func chats(t *testing.T, n *node) {
	t.Helper()
	a := dial(t, n, "assembled", "alice")
	a.expect("presence.join")
	a.chat("hello")
	if f := a.expect("chat.delivery"); f.str("text") != "hello" {
		t.Fatalf("delivery %v", f)
	}
}

// Embedded mode is assembled without the redis module: nothing in the graph
// can even ask for a Redis client.
func TestEmbeddedAppHasNoRedis(t *testing.T) {
	cfg := testConfig()
	err := fx.ValidateApp(fx.Supply(cfg), app.Core, app.Embedded, app.Extras, fx.NopLogger,
		fx.Invoke(func(rueidis.Client) {}))
	if err == nil {
		t.Fatal("an embedded app provides a Redis client")
	}
	n, err := launch(cfg, fx.Options(app.Embedded, app.Extras))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.stop(t) })
	chats(t, n)
}

// Each extra can be left out on its own: the node still starts and chats,
// and only that module's endpoint is gone.
func TestExtrasCanBeLeftOut(t *testing.T) {
	extras := []struct {
		name   string
		module fx.Option
		path   string
	}{
		{"health", health.Module, "/readyz"},
		{"metrics", metrics.Module, "/metrics"},
		{"demo", demo.Module, "/"},
		{"clientjs", clientjs.Module, "/client.js"},
	}
	for i, left := range extras {
		t.Run(left.name, func(t *testing.T) {
			var kept []fx.Option
			for j, e := range extras {
				if j != i {
					kept = append(kept, e.module)
				}
			}
			cfg := testConfig()
			cfg.DemoPage = true
			n, err := launch(cfg, fx.Options(app.Embedded, fx.Options(kept...)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { n.stop(t) })
			chats(t, n)
			if resp := n.get(t, left.path); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%s without the %s module: %d, want 404", left.path, left.name, resp.StatusCode)
			}
			for j, e := range extras {
				if j != i {
					if resp := n.get(t, e.path); resp.StatusCode != http.StatusOK {
						t.Fatalf("%s with the %s module: %d", e.path, e.name, resp.StatusCode)
					}
				}
			}
		})
	}
}

// sharedBus is a broker of the test's own, shared by two nodes in one
// process: the memory bus, counting what goes through it.
type sharedBus struct {
	*bus.Memory
	appended, published atomic.Int64
}

func (s *sharedBus) Append(ctx context.Context, drafts []bus.Draft) ([]string, []error) {
	s.appended.Add(int64(len(drafts)))
	return s.Memory.Append(ctx, drafts)
}

func (s *sharedBus) Publish(ctx context.Context, m bus.Message) error {
	s.published.Add(1)
	return s.Memory.Publish(ctx, m)
}

// A broker of one's own replaces the Redis bus in redis mode: the redis
// module and Redis presence stay, no Redis bus is built, so no room channel
// is ever subscribed and no history stream written, and every message, its
// history and its id go through the replacement. Two nodes on it, each
// with a client sending at the same time, deliver one order to both.
func TestRedisAppWithABrokerOfItsOwn(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	mine := &sharedBus{Memory: bus.NewMemory(bus.HistorySettings(cfg))}
	parts := fx.Options(
		redis.Module, redisbus.PresenceModule, // app.Redis without redisbus.BusModule
		fx.Provide(func() bus.Bus { return mine }),
		app.Extras,
	)
	var nodes []*node
	for range 2 {
		n, err := launch(cfg, parts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.stop(t) })
		nodes = append(nodes, n)
	}
	const each = 50
	a, b := dial(t, nodes[0], "ordered", "alice"), dial(t, nodes[1], "ordered", "bob")
	a.expect("presence.join")
	b.expect("presence.join", "presence.join", "presence.leave")
	var wg sync.WaitGroup
	for name, c := range map[string]*client{"alice": a, "bob": b} {
		wg.Go(func() {
			for i := range each {
				c.chat(fmt.Sprintf("%s-%d", name, i))
			}
		})
	}
	wg.Wait()
	order := func(c *client) []string {
		var ids []string
		for len(ids) < 2*each {
			ids = append(ids, c.expect("chat.delivery", "presence.join", "presence.leave").str("id"))
		}
		return ids
	}
	got, want := order(b), order(a)
	if !slices.Equal(got, want) || !slices.IsSorted(want) {
		t.Fatalf("the two nodes delivered different orders, or ids out of order:\n%v\n%v", want, got)
	}
	if n := mine.appended.Load(); n != 2*each {
		t.Errorf("appended %d messages through the replacement, want %d", n, 2*each)
	}
	if subs := numsub(t, srv, "ordered"); subs != 0 {
		t.Fatalf("NUMSUB %d: a Redis bus subscribed the room", subs)
	}
	if !presenceInRedis(t, srv, "ordered") {
		t.Fatal("presence is not in Redis")
	}
}

// presenceInRedis reports whether the room's presence key exists in srv.
func presenceInRedis(t *testing.T, srv *redistest.Server, room string) bool {
	t.Helper()
	c := observer(t, srv)
	n, err := c.Do(t.Context(), c.B().Exists().Key("rt:presence:users:{"+room+"}").Build()).AsInt64()
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// countingIDs makes predictable ids, for a test that swaps the app's.
type countingIDs struct {
	mu sync.Mutex
	n  int
}

func (c *countingIDs) Next() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return fmt.Sprintf("id-%d", c.n)
}

// The generator of connection ids is a value of the app: a test can swap
// it, and presence in Redis then lists the connection under the new id.
func TestIDsCanBeSwapped(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	n := startNode(t, cfg, fx.Decorate(func(hub.IDs) hub.IDs { return &countingIDs{} }))
	a := dial(t, n, "ids", "alice")
	a.expect("presence.join")
	c := observer(t, srv)
	conns, err := c.Do(t.Context(), c.B().Zrange().Key("rt:presence:conns:{ids}:alice").Min("0").Max("-1").Build()).AsStrSlice()
	if err != nil || len(conns) != 1 || conns[0] != "id-1" {
		t.Fatalf("connections %v, %v; want [id-1]", conns, err)
	}
}
