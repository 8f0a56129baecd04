// Package metrics serves Prometheus metrics at /metrics from one registry.
//
// One registry on purpose: every module's collectors, the Go runtime and the
// process are registered on the same *prometheus.Registry that /metrics
// serves, so nothing registered elsewhere goes missing. Modules own their
// metrics and offer them with AsCollectors; without this module those
// offers are never asked for, and the metrics are simply not exported.
package metrics

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/metrics/collect"
	"github.com/rtserver/rt/modules/server"
)

// Module provides the registry and serves /metrics.
var Module = fx.Module("metrics",
	fx.Provide(NewRegistry, server.AsRoute(newRoute)),
)

// NewRegistry registers the Go runtime and process collectors and every
// module's collectors; a name registered twice is an error at start.
func NewRegistry(in collect.All) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	all := append([]prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}, in.Collectors...)
	for _, c := range all {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

type route struct{ handler fiber.Handler }

func newRoute(reg *prometheus.Registry) server.Route {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return route{handler: adaptor.HTTPHandler(h)}
}

// Register mounts GET /metrics (Prometheus text format).
func (r route) Register(app *fiber.App) { app.Get("/metrics", r.handler) }
