package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
)

func TestPageURL(t *testing.T) {
	for _, c := range []struct {
		name    string
		allowed []string
		host    string
		port    int
		want    string
		ok      bool
	}{
		{"the default", []string{"http://localhost:8000"}, "127.0.0.1", 8000, "http://localhost:8000", true},
		{"the origin on this port", []string{"http://localhost:8000", "http://localhost:8001"}, "127.0.0.1", 8001, "http://localhost:8001", true},
		{"the first on this port", []string{"http://127.0.0.1:8000", "http://localhost:8000"}, "127.0.0.1", 8000, "http://127.0.0.1:8000", true},
		{"http before https", []string{"https://chat.example:8000", "http://lan-host:8000"}, "0.0.0.0", 8000, "http://lan-host:8000", true},
		{"https when only it is on the port", []string{"https://chat.example:8000"}, "0.0.0.0", 8000, "https://chat.example:8000", true},
		{"http's default port", []string{"http://chat.example"}, "0.0.0.0", 80, "http://chat.example", true},
		{"https's default port", []string{"https://chat.example"}, "0.0.0.0", 443, "https://chat.example", true},
		{"a default port is not another port", []string{"http://chat.example"}, "0.0.0.0", 8080, "http://localhost:8080", false},
		{"IPv6 origin", []string{"http://[::1]:8000"}, "::1", 8000, "http://[::1]:8000", true},
		{"none on this port, loopback", []string{"http://localhost:8000"}, "127.0.0.1", 8001, "http://localhost:8001", false},
		{"none on this port, IPv6 loopback", []string{"http://localhost:8000"}, "::1", 8001, "http://localhost:8001", false},
		{"none on this port, every interface", []string{"http://localhost:8000"}, "0.0.0.0", 8001, "http://localhost:8001", false},
		{"none on this port, empty host", []string{"http://localhost:8000"}, "", 8001, "http://localhost:8001", false},
		{"none on this port, a named host", []string{"http://localhost:8000"}, "10.0.0.5", 8001, "http://10.0.0.5:8001", false},
		{"none on this port, an IPv6 host", []string{"http://localhost:8000"}, "fd00::5", 8001, "http://[fd00::5]:8001", false},
		{"no origins", nil, "127.0.0.1", 8000, "http://localhost:8000", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := PageURL(c.allowed, c.host, c.port)
			if got != c.want || ok != c.ok {
				t.Errorf("PageURL(%q, %q, %d) = %q, %v; want %q, %v", c.allowed, c.host, c.port, got, ok, c.want, c.ok)
			}
		})
	}
}

// page is a Route standing in for the chat page.
type page struct{ on bool }

func (p page) Register(*fiber.App) {}
func (p page) ServesPage() bool    { return p.on }

// startLogged starts the module on a free port with cfg and routes, and
// returns the JSON lines it logged at start.
func startLogged(t *testing.T, cfg config.Config, routes ...page) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	opts := []fx.Option{fx.NopLogger, fx.Supply(cfg, log), Module}
	for _, r := range routes {
		opts = append(opts, fx.Provide(AsRoute(func() page { return r })))
	}
	opts = append(opts, Announce)
	app := fx.New(opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	return lines(t, &buf)
}

// lines are the JSON log lines in buf.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		out = append(out, m)
	}
	return out
}

func listening(t *testing.T, lines []map[string]any) map[string]any {
	t.Helper()
	for _, l := range lines {
		if l["msg"] == "listening" {
			return l
		}
	}
	t.Fatalf("no listening line in %v", lines)
	return nil
}

// The start-up line names the chat page's URL when the page is on (the
// allowed origin on the listening port, not the listening address), the
// mode and the pid to signal.
func TestListeningLineNamesThePage(t *testing.T) {
	cfg := config.Config{Host: "127.0.0.1", AllowedOrigins: []string{"http://localhost:1", "http://localhost:8123"}}
	logged := func(page bool) []map[string]any {
		var buf bytes.Buffer
		s := &Server{log: slog.New(slog.NewJSONHandler(&buf, nil)), cfg: cfg, page: page}
		s.logListening(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8123})
		return lines(t, &buf)
	}
	got := logged(true)
	want := map[string]any{"level": "INFO", "msg": "listening", "addr": "127.0.0.1:8123",
		"page": "http://localhost:8123", "mode": "embedded", "pid": float64(os.Getpid())}
	delete(got[0], "time")
	if len(got) != 1 || !maps.Equal(got[0], want) {
		t.Errorf("got %v, want the one line %v", got, want)
	}
	got = logged(false)
	if _, ok := got[0]["page"]; len(got) != 1 || ok {
		t.Errorf("with the page off: %v", got)
	}
}

// The module names the page when a Page route is on, warns when no allowed
// origin is on the port it listens on (any free port here), and says
// nothing of a page that is off or absent.
func TestModuleNamesThePage(t *testing.T) {
	cfg := config.Config{Host: "127.0.0.1", Port: 0, WriteTimeout: 5 * time.Second,
		AllowedOrigins: []string{"http://localhost:1"}}
	got := startLogged(t, cfg, page{on: true})
	l := listening(t, got)
	_, port, _ := net.SplitHostPort(l["addr"].(string))
	want := "http://localhost:" + port
	if l["page"] != want {
		t.Errorf("page=%v, want %s", l["page"], want)
	}
	var warned bool
	for _, l := range got {
		msg, _ := l["msg"].(string)
		warned = warned || (l["level"] == "WARN" && strings.Contains(msg, "add "+want+" to ALLOWED_ORIGINS"))
	}
	if !warned {
		t.Errorf("no warning naming %s; got %v", want, got)
	}

	for _, routes := range [][]page{{{on: false}}, nil} {
		got := startLogged(t, cfg, routes...)
		if _, ok := listening(t, got)["page"]; ok || len(got) != 1 {
			t.Errorf("routes %v: want the listening line alone, without a page; got %v", routes, got)
		}
	}
}

// The start-up line names the hooks whose URL is set, and fail-open.
func TestHooksOn(t *testing.T) {
	for _, tt := range []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{}, ""},
		{config.Config{HookFailOpen: true}, ""},
		{config.Config{WebhookURL: "http://h/e"}, "webhook"},
		{config.Config{ConnectHookURL: "http://h/c", PublishHookURL: "http://h/p", HookFailOpen: true}, "connect,publish,fail-open"},
	} {
		if got := hooksOn(tt.cfg); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.cfg, got, tt.want)
		}
	}
}
