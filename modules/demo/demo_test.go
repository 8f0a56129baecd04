package demo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	clientjs "github.com/rtserver/rt/clients/js"
	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/auth"
)

const allowed = "http://localhost:8000"

// app mounts the page on a bare app with the same 404 fallback as the server.
func app(t *testing.T, enabled bool) *fiber.App {
	t.Helper()
	origins := auth.NewOrigins(config.Config{AllowedOrigins: []string{allowed}})
	a := fiber.New()
	newPage(config.Config{DemoPage: enabled}, origins).Register(a)
	a.Use(func(c *fiber.Ctx) error { return c.Status(fiber.StatusNotFound).JSON(fiber.Map{"error": "not_found"}) })
	return a
}

func do(t *testing.T, a *fiber.App, method, path string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := a.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestFiles(t *testing.T) {
	tests := []struct {
		name     string
		enabled  bool
		method   string
		path     string
		status   int
		ctype    string
		contains []string
	}{
		{"page", true, "GET", "/", 200, "text/html", []string{
			`id="room"`, `value="lobby"`, `id="token"`, `id="connect"`, `id="disconnect"`,
			`id="state"`, `data-state="disconnected"`, `id="messages"`, `id="text"`, `id="presence"`,
			`id="join"`, `id="rooms"`, `id="typing"`, `id="show-rooms"`, `id="show-people"`,
			`<script type="module" src="/demo/app.js">`, `href="/demo/style.css"`,
		}},
		{"script", true, "GET", "/demo/app.js", 200, "text/javascript", []string{
			`from '/client.js'`, `from './rooms.js'`, "new Client(", "getToken", ".join()", ".leave()",
			".publish(", ".signal(", ".history(", "/demo/origin",
		}},
		{"rooms", true, "GET", "/demo/rooms.js", 200, "text/javascript", []string{"textContent", "unread", "typing", "export function"}},
		{"style", true, "GET", "/demo/style.css", 200, "text/css", []string{"#state", "@media"}},
		{"head", true, "HEAD", "/", 200, "text/html", nil},
		{"post page", true, "POST", "/", 404, "", nil},
		{"unknown file", true, "GET", "/demo/other.js", 404, "", nil},
		{"get origin", true, "GET", "/demo/origin", 404, "", nil},
		{"disabled page", false, "GET", "/", 404, "", nil},
		{"disabled script", false, "GET", "/demo/app.js", 404, "", nil},
		{"disabled rooms", false, "GET", "/demo/rooms.js", 404, "", nil},
		{"disabled style", false, "GET", "/demo/style.css", 404, "", nil},
		{"disabled origin", false, "POST", "/demo/origin", 404, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, app(t, tt.enabled), tt.method, tt.path, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				if body != `{"error":"not_found"}` {
					t.Fatalf("body %q, want the not_found fallback", body)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, tt.ctype)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %s", s)
				}
			}
		})
	}
}

// TestScriptNeverWritesHTML keeps user text out of the HTML parser.
func TestScriptNeverWritesHTML(t *testing.T) {
	for name, js := range scripts(t) {
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if strings.Contains(js, bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}

// scripts reads every script the page serves, by file name.
func scripts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range files {
		if !strings.HasSuffix(f.name, ".js") {
			continue
		}
		b, err := static.ReadFile(f.name)
		if err != nil {
			t.Fatal(err)
		}
		out[f.name] = string(b)
	}
	if len(out) < 2 {
		t.Fatalf("only %d scripts served", len(out))
	}
	return out
}

// Every file the page loads is one the server serves: nothing from
// elsewhere (the CSP would block it anyway), nothing missing.
func TestPageLoadsOnlyServedFiles(t *testing.T) {
	_, page := do(t, app(t, true), "GET", "/", nil)
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("only %d references in the page", len(refs))
	}
	for _, m := range refs {
		if m[1] == "data:," {
			continue
		}
		if _, ok := files[m[1]]; !ok {
			t.Errorf("the page loads %s, which is not served", m[1])
		}
	}
}

// Every module the page's scripts import is served: its own by this
// package, /client.js by modules/clientjs from clients/js, which exports
// every name the page imports from it.
func TestImportsAreServed(t *testing.T) {
	imports := regexp.MustCompile(`(?s)import\s*\{([^}]*)\}\s*from\s*'([^']+)'`)
	n := 0
	for name, js := range scripts(t) {
		for _, m := range imports.FindAllStringSubmatch(js, -1) {
			n++
			names, from := m[1], m[2]
			switch {
			case from == "/client.js":
				for _, id := range strings.Split(names, ",") {
					id = strings.TrimSpace(id)
					if id != "" && !regexp.MustCompile(`export (class|function|const) `+id+`\b`).Match(clientjs.Source) {
						t.Errorf("%s imports %s from /client.js, which does not export it", name, id)
					}
				}
			case strings.HasPrefix(from, "./"):
				if _, ok := files["/demo/"+strings.TrimPrefix(from, "./")]; !ok {
					t.Errorf("%s imports %s, which is not served", name, from)
				}
			default:
				t.Errorf("%s imports %s: only the page's own files and /client.js", name, from)
			}
		}
	}
	if n < 2 {
		t.Fatalf("only %d imports found", n)
	}
}

func TestOrigin(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   originAnswer
	}{
		{"allowed", map[string]string{"Origin": allowed}, originAnswer{Origin: allowed, Allowed: true}},
		{"allowed after normalisation", map[string]string{"Origin": "HTTP://LOCALHOST:8000"}, originAnswer{Origin: "HTTP://LOCALHOST:8000", Allowed: true}},
		{"other host", map[string]string{"Origin": "http://127.0.0.1:8000"}, originAnswer{Origin: "http://127.0.0.1:8000", Allowed: false}},
		{"other port", map[string]string{"Origin": "http://localhost:8001"}, originAnswer{Origin: "http://localhost:8001", Allowed: false}},
		{"null", map[string]string{"Origin": "null"}, originAnswer{Origin: "null", Allowed: false}},
		{"none", nil, originAnswer{Origin: "", Allowed: false}},
	}
	a := app(t, true)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, a, "POST", "/demo/origin", tt.header)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			var got originAnswer
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// With a connect hook the answer says so: a refused handshake may then be
// the backend's no, and the page says that too.
func TestOriginNamesTheConnectHook(t *testing.T) {
	a := fiber.New()
	cfg := config.Config{DemoPage: true, ConnectHookURL: "http://127.0.0.1:9000/rt/connect"}
	newPage(cfg, auth.NewOrigins(config.Config{AllowedOrigins: []string{allowed}})).Register(a)
	_, body := do(t, a, "POST", "/demo/origin", map[string]string{"Origin": allowed})
	var got originAnswer
	if err := json.Unmarshal([]byte(body), &got); err != nil || !got.ConnectHook || !got.Allowed {
		t.Fatalf("%s: %+v, %v", body, got, err)
	}
}
