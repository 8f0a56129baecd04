// Package admin is the admin page on the server API's listener (API_ADDR):
// GET /admin, one HTML page with its script and style embedded in the
// binary, and the data it shows, under /api/admin/ (the nodes, the busiest
// rooms, each node's recent samples), routes of the API's table
// (modules/api/spec) served here. The page itself is served without the
// key, as it holds nothing; it asks for API_KEY and sends it with every
// call, as every API client does. Room lookups and disconnecting a user
// are the API's own routes (presence, history, disconnect).
package admin

import (
	"embed"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/api"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/nodes"
)

// Module mounts the page and its data on the API (nothing without
// API_ADDR). It needs nodes.Module.
var Module = fx.Module("admin", fx.Provide(api.AsExtension(newExtension)))

//go:embed static
var static embed.FS

// files maps each page path to its embedded file and content type.
var files = map[string]struct{ name, ctype string }{
	"/admin":           {"static/index.html", "text/html; charset=utf-8"},
	"/admin/admin.js":  {"static/admin.js", "text/javascript; charset=utf-8"},
	"/admin/charts.js": {"static/charts.js", "text/javascript; charset=utf-8"},
	"/admin/admin.css": {"static/admin.css", "text/css; charset=utf-8"},
}

// csp lets the page load its own files only and call its own origin only:
// no inline script or style, no other host, no frame around it.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// data serves the admin routes.
type data struct {
	nodes nodes.Nodes
	hub   *hub.Hub
}

func newExtension(n nodes.Nodes, h *hub.Hub) api.Extension {
	d := &data{nodes: n, hub: h}
	return api.Extension{
		Handlers: map[string]fiber.Handler{
			"nodes":  noStore(d.listNodes),
			"rooms":  noStore(d.busiest),
			"series": noStore(d.series),
		},
		Pages: pages(),
	}
}

// pages serve the embedded files with the page's headers.
func pages() []api.Page {
	var out []api.Page
	for path, f := range files {
		body, err := static.ReadFile(f.name)
		if err != nil {
			panic("admin: missing embedded file " + f.name) // a build mistake, caught by the tests
		}
		out = append(out, api.Page{Path: path, Handler: func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, f.ctype)
			c.Set(fiber.HeaderContentSecurityPolicy, csp)
			c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
			c.Set(fiber.HeaderXFrameOptions, "DENY")
			c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
			c.Set(fiber.HeaderCacheControl, "no-store")
			return c.Send(body)
		}})
	}
	return out
}

// noStore keeps what an answer says about the deployment out of caches.
func noStore(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return h(c)
	}
}
