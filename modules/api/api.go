// Package api serves the server API: the backend of an application
// publishes into rooms, sends messages to users, reads presence and
// history, and disconnects users, over JSON on HTTP.
//
// Its routes, their OpenAPI document and rtctl's commands come from one
// table, package spec.
//
// It listens on API_ADDR, a listener of its own (its own Fiber app), so it
// is never served on the public WebSocket port by accident; without
// API_ADDR it serves nothing. Every request but GET /api/openapi.json
// and other modules' pages (Extension: the admin page, which asks for the
// key itself) carries API_KEY as "Authorization: Bearer <API_KEY>". The app is built
// with the public server's NewApp, so it has the same header limits,
// refusals before routing (counted in rt_http_refused_total), JSON errors
// and access lines, with a body limit of its own (64 KiB).
package api

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/api/spec"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/metrics/collect"
	"github.com/rtserver/rt/modules/server"
)

// MaxBodyBytes is the largest request body the API reads; a larger one is
// refused with 413 body_too_large before it is read.
const MaxBodyBytes = spec.MaxBodyBytes

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
	// Extensions are other modules' routes and pages (AsExtension).
	Extensions []Extension `group:"api.extensions"`
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
	s.app = newApp(p.Config, p.Hub, p.Refused, p.Log, p.Metrics, p.Extensions...)
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

// Routes lists what the running app serves of the table, read back from
// its router (the 405 answers to a path's other methods and extensions'
// pages left out); nil when the API is off.
func (s *Server) Routes() []Route {
	if s.app == nil {
		return nil
	}
	var out []Route
	for _, r := range s.app.GetRoutes(true) {
		if r.Name != refusalRoute && r.Name != pageRoute {
			out = append(out, Route{Method: r.Method, Path: openAPIPath(r.Path)})
		}
	}
	return out
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
	backend    Backend
	extensions []Extension
	log        *slog.Logger
	metrics    *metrics
	key        key
	endpoints  map[string]string // a route's Fiber path → its template, as the count names it
}

// newApp is the API's Fiber app: the server's access line, then the
// request count, then the routes of the table (see mount).
func newApp(cfg config.Config, backend Backend, refused *server.Refusals, log *slog.Logger, m *metrics, exts ...Extension) *fiber.App {
	a := &api{backend: backend, extensions: exts, log: log, metrics: m, key: newKey(cfg.APIKey)}
	app := server.NewApp(cfg, refused, log, MaxBodyBytes)
	a.mount(app)
	return app
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
