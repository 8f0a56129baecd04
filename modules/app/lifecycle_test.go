package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
)

// messages are the msg fields of the JSON lines in buf.
func messages(t *testing.T, buf *bytes.Buffer) []string {
	t.Helper()
	var msgs []string
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m struct{ Msg string }
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		msgs = append(msgs, m.Msg)
	}
	return msgs
}

// A stop is logged before any module stops and after the last one has,
// whatever order the modules were listed or constructed in.
func TestShutdownIsLoggedAroundEveryStopHook(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	hook := func(name string) fx.Option {
		return fx.Module(name, fx.Invoke(func(lc fx.Lifecycle, log *slog.Logger) {
			lc.Append(fx.StopHook(func() { log.Info(name + " stopped") }))
		}))
	}
	app := fx.New(fx.NopLogger, lifecycle(fx.Supply(log), hook("first"), hook("second")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := messages(t, &buf); len(got) != 0 {
		t.Fatalf("logged at start: %q", got)
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"shutting down", "second stopped", "first stopped", "stopped"}
	if got := messages(t, &buf); !equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A start that fails rolls back without claiming a shutdown.
func TestFailedStartLogsNoShutdown(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	app := fx.New(fx.NopLogger, lifecycle(fx.Supply(log), fx.Invoke(func(lc fx.Lifecycle) {
		lc.Append(fx.StartHook(func() error { return errors.New("no") }))
	})))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err == nil {
		t.Fatal("started")
	}
	if got := messages(t, &buf); len(got) != 0 {
		t.Fatalf("logged %q", got)
	}
}

// The whole server logs "shutting down" first and "stopped" last.
func TestModulesLogTheirShutdown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	t.Setenv("PORT", strconv.Itoa(port))
	t.Setenv("REDIS_URL", "")
	t.Setenv("DRAIN_DELAY", "10ms")
	cfg, err := config.FromOS()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	app := fx.New(Modules(cfg), fx.Decorate(func(*slog.Logger) *slog.Logger { return log }))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	started := len(messages(t, &buf))
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	got := messages(t, &buf)[started:]
	if len(got) < 3 || got[0] != "shutting down" || !strings.HasPrefix(got[1], "draining") || got[len(got)-1] != "stopped" {
		t.Fatalf("lines after start: %q", got)
	}
}

// A SIGINT that arrives while the app is still starting (fx listens for
// signals only once every OnStart hook has returned) does not end the
// process on the spot: the app finishes starting, then shuts down cleanly.
func TestSignalDuringStartShutsDownCleanly(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	app := fx.New(fx.NopLogger, lifecycle(fx.Supply(log), fx.Invoke(func(lc fx.Lifecycle) {
		lc.Append(fx.StartHook(func() error { return syscall.Kill(os.Getpid(), syscall.SIGINT) }))
	})))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case sig := <-app.Wait():
		if sig.ExitCode != 0 {
			t.Errorf("exit code %d", sig.ExitCode)
		}
	case <-ctx.Done():
		t.Fatal("the signal sent during the start was lost")
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := messages(t, &buf), []string{"shutting down", "stopped"}; !equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
