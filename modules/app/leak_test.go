package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/goleak"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/server"
)

// leakOptions name the goroutines that may outlive a stopped app: fasthttp's
// process-wide ones only. Everything rt starts (sockets, writers, bus
// loops, gap fills, presence refreshes, announcement timers) and every
// goroutine of its Redis client must be gone once Stop returns.
var leakOptions = []goleak.Option{
	// fasthttp keeps one process-wide clock goroutine for Date headers.
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	// A stopped fasthttp server's idle-worker cleaner sleeps out its
	// period (MaxIdleWorkerDuration, 10 s) before it sees the stop.
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
}

// backend is one of the app's backends, with the REDIS_URL that starts it
// ("" for embedded mode).
type backend struct {
	name  string
	redis func(t *testing.T) string
}

// backends are all of them: embedded, Redis and Redis Cluster.
func backends() []backend {
	return []backend{
		{"embedded", func(*testing.T) string { return "" }},
		{"redis", func(t *testing.T) string { return redistest.Start(t).URL() }},
		{"redis cluster", func(t *testing.T) string { return redistest.StartCluster(t).URL() }},
	}
}

// settle is how long a goroutine may take to end after Stop. A rueidis
// cluster client closes the connections a topology refresh dropped 5 s
// later, on a goroutine of its own, closed client or not
// (clusterClient._refresh in rueidis v1.0.79): it ends by itself, so the
// check waits it out rather than skip it by name.
const settle = 8 * time.Second

// The whole app, in each backend, leaves no goroutine behind once stopped
// after sockets joined a room, chatted, and (one of them) were still open
// at the stop. The Redis helpers' own goroutines (the cluster helper keeps
// a client per node) are started before the snapshot and not counted.
func TestNoGoroutineOutlivesTheApp(t *testing.T) {
	for _, tc := range backends() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := leakConfig(t, tc.redis(t))
			before := goleak.IgnoreCurrent()
			runAndStop(t, cfg)
			if err := findLeaks(append(leakOptions, before)...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// findLeaks is goleak.Find retried until settle has passed: its own
// retries give up after about a second.
func findLeaks(opts ...goleak.Option) error {
	deadline := time.Now().Add(settle)
	for {
		err := goleak.Find(opts...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leakConfig is the default configuration with every listener on a free
// port, the debug and API servers on too, and redisURL as REDIS_URL.
func leakConfig(t *testing.T, redisURL string) config.Config {
	t.Helper()
	t.Setenv("REDIS_URL", redisURL)
	t.Setenv("JWT_SECRET", leakSecret)
	t.Setenv("ALLOWED_ORIGINS", leakOrigin)
	t.Setenv("DEBUG_ADDR", "127.0.0.1:1") // ports checked here, replaced by free ones below
	t.Setenv("API_ADDR", "127.0.0.1:1")
	t.Setenv("API_KEY", strings.Repeat("k", config.MinAPIKeyBytes))
	t.Setenv("LOG_LEVEL", "error")
	t.Setenv("DRAIN_DELAY", "50ms") // the drain runs, its waits short: the sockets still open at the stop are closed spread
	t.Setenv("SHUTDOWN_SPREAD", "1s")
	cfg, err := config.FromOS()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port, cfg.DebugAddr, cfg.APIAddr = 0, "127.0.0.1:0", "127.0.0.1:0"
	return cfg
}

// runAndStop starts the app, has two users chat in a room, a third join
// three rooms on one socket, signal and leave one of them, closes one
// socket, stops the app with the others still open, and then closes them.
func runAndStop(t *testing.T, cfg config.Config) {
	t.Helper()
	var srv *server.Server
	app := fx.New(Modules(cfg), fx.NopLogger, fx.Populate(&srv),
		fx.Decorate(func(*slog.Logger) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr().String()
	ready(t, addr)
	alice := dialRoom(t, addr, "lobby", "alice")
	alice.expect("presence.join")
	bob := dialRoom(t, addr, "lobby", "bob")
	bob.expect("presence.join")
	alice.chat("hello")
	bob.expect("chat.delivery")
	alice.expect("chat.delivery")
	carol := dialRoom(t, addr, "", "carol")
	for _, room := range []string{"lobby", "news", "games"} {
		carol.send(map[string]string{"type": "room.join", "room": room})
		carol.expect("room.joined")
	}
	carol.send(map[string]any{"type": "room.signal", "room": "lobby", "data": map[string]bool{"typing": true}})
	alice.expect("room.signal")
	carol.send(map[string]string{"type": "room.leave", "room": "news"})
	carol.expect("room.left")
	bob.close()
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	alice.close()
	carol.close()
}

// ready waits for /readyz, which asks the backend too.
func ready(t *testing.T, addr string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %d %s", resp.StatusCode, body)
	}
	http.DefaultClient.CloseIdleConnections() // its keep-alive goroutines are the test's, not the app's
}
