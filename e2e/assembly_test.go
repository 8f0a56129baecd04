package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"go.uber.org/fx"

	"rt/modules/app"
	"rt/modules/bus"
	"rt/modules/demo"
	"rt/modules/health"
	"rt/modules/history"
	"rt/modules/hub"
	"rt/modules/metrics"
	"rt/modules/presence"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
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
		fx.Invoke(func(*redis.Client) {}))
	if err == nil {
		t.Fatal("an embedded app provides a *redis.Client")
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

// recordingBus is a bus of the test's own: the memory bus, remembering every
// published message.
type recordingBus struct {
	*bus.Memory
	mu        sync.Mutex
	published []bus.Message
}

func (r *recordingBus) Publish(ctx context.Context, m bus.Message) error {
	r.mu.Lock()
	r.published = append(r.published, m)
	r.mu.Unlock()
	return r.Memory.Publish(ctx, m)
}

func (r *recordingBus) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.published)
}

// A bus of one's own replaces the Redis bus in redis mode: the redis module
// and Redis presence stay, no Redis bus is built, so no room channel is ever
// subscribed, and every message goes through the replacement. History goes
// with it in memory: the Redis history publishes through Redis itself, in the
// same step as it stores.
func TestRedisAppWithABusOfItsOwn(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	mine := &recordingBus{Memory: bus.NewMemory()}
	n, err := launch(cfg, fx.Options(
		redis.Module, presence.RedisModule, // app.Redis without bus.RedisModule and history.RedisModule
		history.MemoryModule,
		fx.Provide(func() bus.Bus { return mine }),
		app.Extras,
	))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.stop(t) })
	chats(t, n)
	if got := mine.count(); got != 2 { // alice's join, then her message
		t.Fatalf("published %d messages through the replacement, want 2", got)
	}
	if subs := numsub(t, srv, "assembled"); subs != 0 {
		t.Fatalf("NUMSUB %d: a Redis bus subscribed the room", subs)
	}
	if !presenceInRedis(t, srv, "assembled") {
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
