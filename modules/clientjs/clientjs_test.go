package clientjs

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/gofiber/fiber/v2"

	js "github.com/rtserver/rt/clients/js"
)

// app mounts the route on a bare app with the same 404 fallback as the server.
func app() *fiber.App {
	a := fiber.New()
	newFiles().Register(a)
	a.Use(func(c *fiber.Ctx) error { return c.Status(fiber.StatusNotFound).JSON(fiber.Map{"error": "not_found"}) })
	return a
}

func do(t *testing.T, method, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := app().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestVersion(t *testing.T) {
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(js.Version) {
		t.Fatalf("Version %q is not 12 hex digits", js.Version)
	}
	if !bytes.Contains(js.Source, []byte("export class Client")) || !bytes.Contains(js.Types, []byte("export class Client")) {
		t.Fatal("the embedded files are not the client and its types")
	}
}

func TestFiles(t *testing.T) {
	const jsType = "text/javascript; charset=utf-8"
	tag := `"` + js.Version + `"`
	tests := []struct {
		name, method, path, ctype, cache string
		body                             []byte
	}{
		{"client", "GET", "/client.js", jsType, "no-cache", js.Source},
		{"versioned", "GET", "/client-" + js.Version + ".js", jsType, "public, max-age=31536000, immutable", js.Source},
		{"types", "GET", "/client.d.ts", "application/typescript; charset=utf-8", "no-cache", js.Types},
		{"head", "HEAD", "/client.js", jsType, "no-cache", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, tt.path, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			want := map[string]string{
				"Content-Type":                tt.ctype,
				"Cache-Control":               tt.cache,
				"Access-Control-Allow-Origin": "*",
				"X-Content-Type-Options":      "nosniff",
			}
			for h, v := range want {
				if got := resp.Header.Get(h); got != v {
					t.Errorf("%s %q, want %q", h, got, v)
				}
			}
			if tt.path != "/client.d.ts" && resp.Header.Get("ETag") != tag {
				t.Errorf("ETag %q, want %q", resp.Header.Get("ETag"), tag)
			}
			if !bytes.Equal(body, tt.body) {
				t.Errorf("body of %d bytes, want %d", len(body), len(tt.body))
			}
		})
	}
}

// A client that has the current build gets 304 with no body; one that has
// another gets the file.
func TestNotModified(t *testing.T) {
	typesResp, _ := do(t, "GET", "/client.d.ts", nil)
	typesTag := typesResp.Header.Get("ETag")
	if typesTag == "" {
		t.Fatal("/client.d.ts has no ETag")
	}
	tag := `"` + js.Version + `"`
	tests := []struct {
		name, path, ifNoneMatch string
		status                  int
	}{
		{"current", "/client.js", tag, 304},
		{"weak", "/client.js", "W/" + tag, 304},
		{"in a list", "/client.js", `"000000000000", ` + tag, 304},
		{"any", "/client.js", "*", 304},
		{"stale", "/client.js", `"000000000000"`, 200},
		{"unquoted", "/client.js", js.Version, 200},
		{"versioned", "/client-" + js.Version + ".js", tag, 304},
		{"types", "/client.d.ts", typesTag, 304},
		{"types with the client's tag", "/client.d.ts", tag, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", tt.path, map[string]string{"If-None-Match": tt.ifNoneMatch})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 304 {
				if len(body) != 0 {
					t.Errorf("304 with a body of %d bytes", len(body))
				}
				if resp.Header.Get("ETag") == "" || resp.Header.Get("Cache-Control") == "" {
					t.Error("304 without ETag and Cache-Control")
				}
			}
		})
	}
}

// Only the current version is served; any other path is the server's 404.
func TestUnknownPaths(t *testing.T) {
	for _, path := range []string{
		"/client-000000000000.js",
		"/client-.js",
		"/client-" + js.Version + ".d.ts",
		"/client.ts",
		"/clients/js/rt.js",
		"/rt.js",
	} {
		resp, body := do(t, "GET", path, nil)
		if resp.StatusCode != http.StatusNotFound || string(body) != `{"error":"not_found"}` {
			t.Errorf("%s: %d %s, want the 404 fallback", path, resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, "POST", "/client.js", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /client.js: %d, want 404", resp.StatusCode)
	}
}
