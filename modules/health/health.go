// Package health serves /healthz (the process is alive) and /readyz (it can
// serve: every readiness check passes, and the node is not draining).
// Modules add checks with AsCheck.
package health

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/drain"
	"github.com/rtserver/rt/modules/health/check"
	"github.com/rtserver/rt/modules/metrics/collect"
	"github.com/rtserver/rt/modules/server"
)

// Module serves the health endpoints.
var Module = fx.Module("health",
	fx.Provide(server.AsRoute(newRoutes), collect.As(newReadiness)),
)

// probeTimeout bounds /readyz so a hung dependency reads as "not ready", not a hung probe.
const probeTimeout = 2 * time.Second

type routes struct {
	checks []check.Check
	drain  draining
}

// draining is the node's drain (drain.Drain): once it has begun, /readyz
// answers 503 draining whatever the checks say, so a load balancer stops
// sending new sockets to a node that is about to close its own.
type draining interface{ Draining() bool }

type routesParams struct {
	fx.In
	Checks check.All
	Drain  *drain.Drain `optional:"true"`
}

func newRoutes(p routesParams) server.Route {
	r := routes{checks: p.Checks.Checks}
	if p.Drain != nil {
		r.drain = p.Drain
	}
	return r
}

func (r routes) Register(app *fiber.App) {
	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", r.ready)
}

// detailed is a probe failure that says more than the check's name, such
// as which Redis Cluster masters are away.
type detailed interface{ Details() map[string]any }

func (r routes) ready(c *fiber.Ctx) error {
	if r.drain != nil && r.drain.Draining() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "draining"})
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), probeTimeout)
	defer cancel()
	for _, check := range r.checks {
		if err := check.Probe(ctx); err != nil {
			answer := fiber.Map{"status": "unavailable", "failed": check.Name}
			var d detailed
			if errors.As(err, &d) {
				maps.Copy(answer, d.Details())
			}
			return c.Status(fiber.StatusServiceUnavailable).JSON(answer)
		}
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
