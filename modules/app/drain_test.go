package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/logging/logtest"
	"github.com/rtserver/rt/modules/server"
)

// A node told to stop drains: /readyz answers 503 draining while it waits
// for DRAIN_DELAY. A second SIGINT (Ctrl+C twice) skips what is left of
// the delay and of SHUTDOWN_SPREAD: with both an hour long, the stop ends
// within the test's bound, its sockets closed with 1001, and the log says
// why.
func TestSecondSignalSkipsTheDrain(t *testing.T) {
	cfg := leakConfig(t, "")
	cfg.DrainDelay, cfg.ShutdownSpread = time.Hour, time.Hour
	var logs logtest.Buffer
	var srv *server.Server
	app := fx.New(Modules(cfg), fx.NopLogger, fx.Populate(&srv),
		fx.Decorate(func(*slog.Logger) *slog.Logger { return slog.New(slog.NewJSONHandler(&logs, nil)) }))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr().String()
	alice := dialRoom(t, addr, "lobby", "alice")
	alice.expect("presence.join")
	bob := dialRoom(t, addr, "lobby", "bob")
	bob.expect("presence.join")

	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-app.Wait()
	stopped := make(chan error, 1)
	go func() { stopped <- app.Stop(ctx) }()
	for readyz(t, addr) != `503 {"status":"draining"}` {
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*wsClient{alice, bob} {
		if code := closeCode(t, c); code != websocket.CloseGoingAway {
			t.Errorf("close code %d, want 1001", code)
		}
	}
	if err := <-stopped; err != nil || ctx.Err() != nil {
		t.Fatalf("stop: %v (bound: %v)", err, ctx.Err())
	}
	got := messages(t, bytes.NewBufferString(logs.String()))
	want := []string{"shutting down", "draining", "stop asked again", "stopped"}
	if !inOrder(got, want) {
		t.Fatalf("log %q, want lines starting with %q in that order", got, want)
	}
}

// readyz is /readyz's status and body, as `503 {"status":"draining"}`.
func readyz(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(body))
}

// closeCode reads until the server's close frame and returns its code.
func closeCode(t *testing.T, c *wsClient) int {
	t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(frameWait))
	for {
		_, _, err := c.ws.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code
		}
		if err != nil {
			t.Fatalf("no close frame: %v", err)
		}
	}
}

// inOrder reports whether lines holds, in order, a line starting with
// each of prefixes.
func inOrder(lines, prefixes []string) bool {
	i := 0
	for _, l := range lines {
		if i < len(prefixes) && strings.HasPrefix(l, prefixes[i]) {
			i++
		}
	}
	return i == len(prefixes)
}
