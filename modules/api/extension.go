package api

import (
	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"
)

// Extension is what another module serves on the API's listener, so that
// what belongs to it (the admin page's data and the page) is written there,
// and the API stays a list of routes. Without that module its routes are
// not served (404), though the OpenAPI document still describes them.
type Extension struct {
	// Handlers serve the routes of spec.Routes whose Module names the
	// extension's module, by route ID, behind the key like every route.
	Handlers map[string]fiber.Handler
	// Pages are GETs outside the table (not in the OpenAPI document), served
	// without the key: a page asks for the key itself and sends it with
	// its own calls.
	Pages []Page
}

// Page is one GET of an Extension.
type Page struct {
	Path    string
	Handler fiber.Handler
}

// AsExtension annotates a constructor of Extension so the API mounts it.
func AsExtension(f any) any {
	return fx.Annotate(f, fx.ResultTags(`group:"api.extensions"`))
}

// pageRoute names the routes of extensions' pages, so that Routes leaves
// them out with the refusals: Routes is the table's routes.
const pageRoute = "page"

// handlerOf is the handler of route id: the API's own, else an
// extension's; nil when neither serves it.
func (a *api) handlerOf(id string) fiber.Handler {
	if serve := handlers[id]; serve != nil {
		return func(c *fiber.Ctx) error { return serve(a, c) }
	}
	for _, e := range a.extensions {
		if h := e.Handlers[id]; h != nil {
			return h
		}
	}
	return nil
}

// mountPages registers every extension's pages.
func (a *api) mountPages(app *fiber.App) {
	for _, e := range a.extensions {
		for _, p := range e.Pages {
			app.Add(fiber.MethodGet, p.Path, p.Handler).Name(pageRoute)
			a.endpoints[p.Path] = p.Path
		}
	}
}
