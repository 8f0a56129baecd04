// Package api serves the server API: the backend of an application
// publishes into rooms, reads presence and history, and disconnects users,
// over JSON on HTTP.
//
// It listens on API_ADDR, a listener of its own (its own Fiber app), so it
// is never served on the public WebSocket port by accident; without
// API_ADDR it serves nothing. Every request but GET /api/openapi.json
// carries API_KEY as "Authorization: Bearer <API_KEY>". The app is built
// with the public server's NewApp, so it has the same header limits,
// refusals before routing (counted in rt_http_refused_total), JSON errors
// and access lines, with a body limit of its own (64 KiB).
package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	"rt/config"
	"rt/modules/hub"
	"rt/modules/metrics/collect"
	"rt/modules/server"
)

// MaxBodyBytes is the largest request body the API reads; a larger one is
// refused with 413 body_too_large before it is read.
const MaxBodyBytes = 64 << 10

// Module serves the API on API_ADDR when it is set, and offers
// rt_api_requests_total to the metrics module.
var Module = fx.Module("api",
	fx.Provide(newMetrics, fx.Private),
	fx.Provide(collect.As((*metrics).collectors), New),
	fx.Invoke(func(*Server) {}),
)

// Params are what the API is built from.
type Params struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    config.Config
	Hub       *hub.Hub
	Refused   *server.Refusals
	Log       *slog.Logger
	Metrics   *metrics
}

// Server is the API's listener; with API_ADDR empty it serves nothing.
type Server struct {
	app *fiber.App
	ln  net.Listener
	log *slog.Logger
}

// New builds the API when API_ADDR is set and hooks its listener into the
// lifecycle. It is built after the hub, so it stops before the hub does.
func New(p Params) *Server {
	s := &Server{log: p.Log}
	if p.Config.APIAddr == "" {
		return s
	}
	s.app = newApp(p.Config, p.Hub, p.Refused, p.Log, p.Metrics)
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(context.Context) error { return s.listen(p.Config.APIAddr) },
		OnStop:  func(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) },
	})
	return s
}

// Addr is where the API listens, nil when it is off.
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Route is one method and path the API serves, the path as the OpenAPI
// document writes it (/api/rooms/{room}/messages).
type Route struct{ Method, Path string }

// Routes lists what the running app serves, read back from its router;
// nil when the API is off.
func (s *Server) Routes() []Route {
	if s.app == nil {
		return nil
	}
	var out []Route
	for _, r := range s.app.GetRoutes(true) {
		out = append(out, Route{Method: r.Method, Path: openAPIPath(r.Path)})
	}
	return out
}

// openAPIPath writes Fiber's /a/:b as OpenAPI's /a/{b}.
func openAPIPath(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + name + "}"
		}
	}
	return strings.Join(segs, "/")
}

func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.log.Info("server API listening", "addr", ln.Addr().String())
	go func() {
		if err := s.app.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("server API stopped", "err", err)
		}
	}()
	return nil
}

// api holds what the handlers need.
type api struct {
	backend Backend
	log     *slog.Logger
	metrics *metrics
	key     key
}

// newApp is the API's Fiber app: the server's access line, then the
// request count, then each route (the key checked first on all but the
// OpenAPI document).
func newApp(cfg config.Config, backend Backend, refused *server.Refusals, log *slog.Logger, m *metrics) *fiber.App {
	a := &api{backend: backend, log: log, metrics: m, key: newKey(cfg.APIKey)}
	app := server.NewApp(cfg, refused, log, MaxBodyBytes)
	app.Use(a.observe)
	for _, e := range endpoints {
		handlers := []fiber.Handler{func(c *fiber.Ctx) error { return e.serve(a, c) }}
		if !e.public {
			handlers = append([]fiber.Handler{a.key.authorize}, handlers...)
		}
		// Add, not Get: Get would serve HEAD as well, which the OpenAPI
		// document does not list.
		app.Add(e.method, e.path, handlers...)
	}
	return app
}

// observe counts every routed request by endpoint and status, and turns
// Fiber's own 404 and 405 into the API's codes (Fiber's messages quote the
// path). A 405 says which method the path takes in Allow.
func (a *api) observe(c *fiber.Ctx) error {
	err := c.Next()
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch {
		case fe.Code == fiber.StatusNotFound && fe.Message != "not_found":
			err = fiber.NewError(fiber.StatusNotFound, "not_found")
		case fe.Code == fiber.StatusMethodNotAllowed:
			if e := match(c.Path()); e != nil {
				c.Set(fiber.HeaderAllow, e.method)
			}
			err = fiber.NewError(fiber.StatusMethodNotAllowed, "method_not_allowed")
		}
	}
	status := c.Response().StatusCode()
	switch {
	case errors.As(err, &fe):
		status = fe.Code
	case err != nil:
		status = fiber.StatusInternalServerError
	}
	a.metrics.requests.WithLabelValues(endpointOf(c), strconv.Itoa(status)).Inc()
	return err
}

// endpointOf is the template of the endpoint a request went to, or
// "other": the route Fiber matched, or for a wrong method the endpoint
// whose path it is.
func endpointOf(c *fiber.Ctx) string {
	if r := c.Route(); r != nil {
		for _, e := range endpoints {
			if r.Path == e.path && r.Method == e.method {
				return e.template
			}
		}
	}
	if e := match(c.Path()); e != nil {
		return e.template
	}
	return "other"
}

// match is the endpoint whose path pattern path has, whatever the method,
// as Fiber routes by default: literal segments in any case, a parameter
// any non-empty segment, one trailing slash ignored.
func match(path string) *endpoint {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	segs := strings.Split(path, "/")
	for i := range endpoints {
		pattern := strings.Split(endpoints[i].path, "/")
		if len(pattern) != len(segs) {
			continue
		}
		ok := true
		for j, p := range pattern {
			if strings.HasPrefix(p, ":") {
				ok = ok && segs[j] != ""
			} else {
				ok = ok && strings.EqualFold(p, segs[j])
			}
		}
		if ok {
			return &endpoints[i]
		}
	}
	return nil
}

// metrics is the API's counter.
type metrics struct{ requests *prometheus.CounterVec }

func newMetrics() *metrics {
	return &metrics{requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rt_api_requests_total",
		Help: "Server API requests by endpoint (the route template, or other) and HTTP status.",
	}, []string{"endpoint", "status"})}
}

func (m *metrics) collectors() []prometheus.Collector { return []prometheus.Collector{m.requests} }
