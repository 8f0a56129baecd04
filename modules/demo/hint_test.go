package demo

import (
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/auth"
)

// A refused origin is told the allowed origin on the port it reached, the
// URL to open the page at instead; with none on that port it is told
// nothing more, and an allowed origin gets no advice.
func TestOriginNamesTheOneToUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	here := "http://localhost:" + port
	cfg := config.Config{DemoPage: true, AllowedOrigins: []string{"http://localhost:1", here}}
	a := fiber.New(fiber.Config{DisableStartupMessage: true})
	newPage(cfg, auth.NewOrigins(cfg)).Register(a)
	go func() { _ = a.Listener(ln) }()
	t.Cleanup(func() { _ = a.Shutdown() })

	for _, c := range []struct {
		origin string
		want   originAnswer
	}{
		{"http://127.0.0.1:" + port, originAnswer{Origin: "http://127.0.0.1:" + port, Use: here}},
		{"http://localhost:9", originAnswer{Origin: "http://localhost:9", Use: here}},
		{here, originAnswer{Origin: here, Allowed: true}},
		{"", originAnswer{Use: here}},
	} {
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/demo/origin", nil)
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got originAnswer
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		if got != c.want {
			t.Errorf("Origin %q: got %+v, want %+v", c.origin, got, c.want)
		}
	}

	// No allowed origin on this port: no advice, the page says to add its own.
	other := config.Config{DemoPage: true, AllowedOrigins: []string{"http://localhost:1"}}
	b := fiber.New()
	newPage(other, auth.NewOrigins(other)).Register(b)
	_, body := do(t, b, "POST", "/demo/origin", map[string]string{"Origin": "http://127.0.0.1:8000"})
	if strings.Contains(body, `"use"`) {
		t.Errorf("advice without an allowed origin on the port: %s", body)
	}
}

// The message area is not empty before connecting: a hint says what to do
// first, and the script hides it once there is a line.
func TestHintBeforeConnecting(t *testing.T) {
	_, page := do(t, app(t, true), "GET", "/", nil)
	start := strings.Index(page, `<p id="hint"`)
	if start < 0 {
		t.Fatal("no hint in the page")
	}
	hint, _, _ := strings.Cut(page[start:], "</p>")
	for _, want := range []string{"go tool task token -- -sub alice", "Connect"} {
		if !strings.Contains(hint, want) {
			t.Errorf("the hint lacks %q: %s", want, hint)
		}
	}
	if strings.Index(page, `id="hint"`) > strings.Index(page, `id="messages"`) {
		t.Error("the hint should come before the message list")
	}
	js := strings.Join(slices.Collect(maps.Values(scripts(t))), "\n")
	for _, want := range []string{"ui.hint.hidden = true", "answer.use"} {
		if !strings.Contains(js, want) {
			t.Errorf("the scripts lack %s", want)
		}
	}
}
