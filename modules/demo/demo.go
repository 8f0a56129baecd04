// Package demo serves the chat page at / : plain HTML and JavaScript
// embedded in the binary, no build step. DEMO_PAGE=false leaves / unserved.
package demo

import (
	"embed"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"rt/config"
	"rt/modules/server"
)

//go:embed static
var static embed.FS

// Module serves the chat page when DEMO_PAGE is true.
var Module = fx.Module("demo", fx.Provide(server.AsRoute(newPage)))

type page struct{ enabled bool }

func newPage(cfg config.Config) page { return page{enabled: cfg.DemoPage} }

// Register mounts the page; with the page off it mounts nothing.
func (p page) Register(app *fiber.App) {
	if !p.enabled {
		return
	}
	app.Get("/", func(c *fiber.Ctx) error {
		b, err := static.ReadFile("static/index.html")
		if err != nil {
			return err
		}
		c.Type("html", "utf-8")
		return c.Send(b)
	})
}
