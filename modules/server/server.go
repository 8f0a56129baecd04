// Package server owns the Fiber app: it collects every Route, listens in
// OnStart and shuts the HTTP side down in OnStop.
//
// Fiber's shutdown does not see upgraded WebSockets; the ws module closes
// those itself, after this module has stopped accepting.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"rt/config"
	"rt/modules/metrics/collect"
)

// Route is something that mounts handlers on the app.
type Route interface {
	Register(app *fiber.App)
}

// AsRoute annotates a constructor of Route so the server mounts it.
func AsRoute(f any) any {
	return fx.Annotate(f, fx.As(new(Route)), fx.ResultTags(`group:"routes"`))
}

// Module serves HTTP on HOST:PORT, and offers its refusal counter to the
// metrics module when that module is there.
var Module = fx.Module("server",
	fx.Provide(newRefusals, fx.Private),
	fx.Provide(collect.As((*Refusals).collectors), New),
	fx.Invoke(func(*Server) {}),
)

// Params are what the server is built from: every module's Route included.
type Params struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    config.Config
	Routes    []Route `group:"routes"`
	Refused   *Refusals
	Log       *slog.Logger
}

// Server is the listening HTTP server.
type Server struct {
	app *fiber.App
	ln  net.Listener
	log *slog.Logger
}

// New builds the app, mounts the routes and hooks listening into the
// lifecycle; requests refused before routing are counted in refused.
func New(p Params) *Server {
	acc := access{log: p.Log}
	s := &Server{app: newApp(p.Config, p.Refused, acc), log: p.Log}
	s.app.Use(acc.middleware)
	for _, r := range p.Routes {
		r.Register(s.app)
	}
	s.app.Use(func(c *fiber.Ctx) error { return c.Status(fiber.StatusNotFound).JSON(fiber.Map{"error": "not_found"}) })
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(context.Context) error { return s.listen(p.Config.Addr()) },
		OnStop:  func(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) },
	})
	return s
}

// Addr is the address the server listens on (useful with PORT=0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.log.Info("listening", "addr", ln.Addr().String())
	go func() {
		if err := s.app.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}
