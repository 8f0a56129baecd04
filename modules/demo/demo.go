// Package demo serves the chat page at / : plain HTML, CSS and JavaScript
// modules embedded in the binary, no build step. DEMO_PAGE=false leaves /
// unserved. The page's connection is rt's JavaScript client, which it
// imports from /client.js (modules/clientjs, served whatever DEMO_PAGE
// says); the page's own scripts are its user interface.
//
// Besides the files it answers POST /demo/origin, which tells the page
// whether the server accepts its Origin, and if not, which allowed origin
// serves this port. A browser cannot read the status of a refused WebSocket
// handshake (it only sees close 1006), so the page asks this after a socket
// closed without ever opening, to explain why and where to go instead.
package demo

import (
	"embed"
	"net"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/auth"
	"github.com/rtserver/rt/modules/server"
)

//go:embed static
var static embed.FS

// Module serves the chat page when DEMO_PAGE is true.
var Module = fx.Module("demo", fx.Provide(server.AsRoute(newPage)))

// Page is the chat page's route; with enabled false it mounts nothing.
type Page struct {
	enabled bool
	origins *auth.Origins
	allowed []string // ALLOWED_ORIGINS, to name the one to open instead
	hooked  bool     // CONNECT_HOOK_URL is set: the backend may refuse a handshake too
}

func newPage(cfg config.Config, o *auth.Origins) *Page {
	return &Page{enabled: cfg.DemoPage, origins: o, allowed: cfg.AllowedOrigins, hooked: cfg.ConnectHookURL != ""}
}

// ServesPage tells the server the page is on, so that its start-up line
// names the page's URL (server.Page).
func (p *Page) ServesPage() bool { return p.enabled }

// files maps each served path to its embedded file and content type.
var files = map[string]struct{ name, ctype string }{
	"/":               {"static/index.html", "text/html; charset=utf-8"},
	"/demo/rooms.js":  {"static/rooms.js", "text/javascript; charset=utf-8"},
	"/demo/app.js":    {"static/app.js", "text/javascript; charset=utf-8"},
	"/demo/style.css": {"static/style.css", "text/css; charset=utf-8"},
}

// csp lets the page load only its own files and open sockets to its own
// host ('self' covers ws: and wss: of the same host).
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Register mounts the page; with the page off it mounts nothing.
func (p *Page) Register(app *fiber.App) {
	if !p.enabled {
		return
	}
	for path, f := range files {
		body, err := static.ReadFile(f.name)
		if err != nil {
			panic("demo: missing embedded file " + f.name) // a build mistake, caught by the tests
		}
		app.Get(path, func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, f.ctype)
			c.Set(fiber.HeaderCacheControl, "no-cache")
			c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
			c.Set(fiber.HeaderContentSecurityPolicy, csp)
			return c.Send(body)
		})
	}
	app.Post("/demo/origin", p.origin)
}

// originAnswer is the body of POST /demo/origin.
type originAnswer struct {
	Origin  string `json:"origin"`
	Allowed bool   `json:"allowed"`
	// Use is, for a refused origin, the allowed origin on the port this
	// request came in on: the URL to open the page at instead. Empty when
	// the origin is allowed or no allowed origin is on that port.
	Use string `json:"use,omitempty"`
	// ConnectHook says the application's backend is asked about every
	// handshake, so a refused one may be its no.
	ConnectHook bool `json:"connect_hook,omitempty"`
}

// origin answers whether the handshake's Origin check would pass for this
// request's Origin header, and for a refused one the allowed origin that
// serves the same port (server.PageURL), if any. It reveals only what the
// page's own start-up line prints: its own origin, a yes or no, and the
// address to open the page at.
func (p *Page) origin(c *fiber.Ctx) error {
	o := c.Get(fiber.HeaderOrigin)
	a := originAnswer{Origin: o, Allowed: p.origins.Allowed(o), ConnectHook: p.hooked}
	if tcp, ok := c.Context().LocalAddr().(*net.TCPAddr); ok && !a.Allowed {
		if use, ok := server.PageURL(p.allowed, "", tcp.Port); ok {
			a.Use = use
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(a)
}
