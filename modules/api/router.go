package api

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/rtserver/rt/modules/api/spec"
)

// handlers serve the routes of spec.Routes, each under its route's ID.
// The table stays free of Fiber so that rtctl can read it without linking
// the server; a test holds the two equal.
var handlers = map[string]func(*api, *fiber.Ctx) error{
	"publish":    (*api).publish,
	"presence":   (*api).presence,
	"history":    (*api).history,
	"send":       (*api).send,
	"disconnect": (*api).disconnect,
	"openapi":    (*api).openAPI,
}

// refusalRoute names the routes that answer a served path's other methods
// with 405, so that Routes can leave them out.
const refusalRoute = "method_not_allowed"

var (
	errNotFound         = fiber.NewError(fiber.StatusNotFound, "not_found")
	errMethodNotAllowed = fiber.NewError(fiber.StatusMethodNotAllowed, "method_not_allowed")
)

// mount registers every route of spec.Routes on app, in Fiber's router,
// between the request count and the 404 for everything else. Fiber's own
// 404 and 405 are not used: their messages quote the path, Fiber's 405
// would need the path matched again to name the endpoint in the count, and
// a catch-all 404 (as the public port has) turns Fiber's 405 off.
func (a *api) mount(app *fiber.App) {
	app.Use(a.observe)
	a.endpoints = map[string]string{}
	var served []spec.Route
	for _, r := range spec.Routes {
		serve := a.handlerOf(r.ID)
		if serve == nil && r.Module != "" {
			continue // that module is left out
		}
		if serve == nil {
			panic(fmt.Sprintf("api: route %s %s has no handler %q", r.Method, r.Path, r.ID))
		}
		served = append(served, r)
		chain := []fiber.Handler{serve}
		if !r.Public {
			chain = append([]fiber.Handler{a.key.authorize}, chain...)
		}
		// Add, not Get: Get would serve HEAD as well, which the table does
		// not list.
		app.Add(r.Method, fiberPath(r.Path), chain...).Name(r.ID)
		a.endpoints[fiberPath(r.Path)] = r.Path
	}
	for _, path := range pathsOf(served) {
		refuseOtherMethods(app, served, path)
	}
	a.mountPages(app)
	// Returned, not written: the access line then names the reason.
	app.Use(func(*fiber.Ctx) error { return errNotFound })
}

// pathsOf are the routes' paths, each once, in the table's order.
func pathsOf(routes []spec.Route) []string {
	var paths []string
	for _, r := range routes {
		if !slices.Contains(paths, r.Path) {
			paths = append(paths, r.Path)
		}
	}
	return paths
}

// refuseOtherMethods answers every method the served routes do not serve
// on path with 405 method_not_allowed, naming the ones they do in Allow.
// The key is not asked for: a wrong method is wrong with any key.
func refuseOtherMethods(app *fiber.App, served []spec.Route, path string) {
	var allowed []string
	for _, r := range served {
		if r.Path == path {
			allowed = append(allowed, r.Method)
		}
	}
	allow := strings.Join(allowed, ", ")
	refuse := func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderAllow, allow)
		return errMethodNotAllowed
	}
	for _, m := range app.Config().RequestMethods {
		if !slices.Contains(allowed, m) {
			app.Add(m, fiberPath(path), refuse).Name(refusalRoute)
		}
	}
}

// observe counts every request by endpoint and status.
func (a *api) observe(c *fiber.Ctx) error {
	err := c.Next()
	status := c.Response().StatusCode()
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		status = fe.Code
	case err != nil:
		status = fiber.StatusInternalServerError
	}
	a.metrics.requests.WithLabelValues(a.endpointOf(c), strconv.Itoa(status)).Inc()
	return err
}

// endpointOf is the path template of the route Fiber chose for c (a wrong
// method's included), or "other" when none was (the 404).
func (a *api) endpointOf(c *fiber.Ctx) string {
	if e, ok := a.endpoints[c.Route().Path]; ok {
		return e
	}
	return "other"
}

// fiberPath writes OpenAPI's /a/{b} as Fiber's /a/:b.
func fiberPath(path string) string {
	return mapSegments(path, func(s string) string {
		if name, ok := strings.CutPrefix(s, "{"); ok && strings.HasSuffix(name, "}") {
			return ":" + strings.TrimSuffix(name, "}")
		}
		return s
	})
}

// openAPIPath writes Fiber's /a/:b as OpenAPI's /a/{b}.
func openAPIPath(path string) string {
	return mapSegments(path, func(s string) string {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			return "{" + name + "}"
		}
		return s
	})
}

func mapSegments(path string, f func(string) string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = f(s)
	}
	return strings.Join(segs, "/")
}
