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
	"os"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/metrics/collect"
	"github.com/rtserver/rt/modules/server/startup"
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
// metrics module when that module is there. The counter is shared with
// other listeners built with NewApp (the server API).
var Module = fx.Module("server",
	fx.Provide(newRefusals),
	fx.Provide(collect.As((*Refusals).collectors), New),
	fx.Invoke(func(*Server) {}),
)

// Announce writes the start-up line ("listening") once every listener has
// bound: place it after every module, so that the line is the last thing a
// start writes, and a listener that fails to bind after this one (the
// server API's) leaves no "listening" line behind a failed start. An app
// without this module writes none.
var Announce = fx.Invoke(func(lc fx.Lifecycle, in struct {
	fx.In
	Server *Server `optional:"true"`
}) {
	if s := in.Server; s != nil {
		lc.Append(fx.StartHook(func() { s.logListening(s.ln.Addr()) }))
	}
})

// Params are what the server is built from: every module's Route included.
type Params struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    config.Config
	Routes    []Route `group:"routes"`
	Refused   *Refusals
	Log       *slog.Logger
	Startup   []startup.Attr `group:"startup"`
}

// Server is the listening HTTP server.
type Server struct {
	app  *fiber.App
	ln   net.Listener
	log  *slog.Logger
	cfg  config.Config
	page bool // a Page route is mounted and on
	// told are other modules' start-up attributes (startup.Attr).
	told []startup.Attr
}

// New builds the app, mounts the routes and hooks listening into the
// lifecycle; requests refused before routing are counted in refused.
func New(p Params) *Server {
	s := &Server{app: NewApp(p.Config, p.Refused, p.Log, maxBodyBytes), log: p.Log, cfg: p.Config, told: p.Startup}
	for _, r := range p.Routes {
		r.Register(s.app)
		if pg, ok := r.(Page); ok && pg.ServesPage() {
			s.page = true
		}
	}
	// Returned, not written: the access line then names the reason, like every refusal.
	s.app.Use(func(*fiber.Ctx) error { return fiber.NewError(fiber.StatusNotFound, "not_found") })
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
	go func() {
		if err := s.app.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// logListening writes the start-up line (Announce): the address, the chat page's URL
// when the page is on (the URL that works, which is not always the
// address: a page connects only from an allowed origin), the mode and the
// process id, which is what to signal to stop this server.
func (s *Server) logListening(addr net.Addr) {
	attrs := []any{"addr", addr.String()}
	tcp, _ := addr.(*net.TCPAddr)
	if s.page && tcp != nil {
		page, ok := PageURL(s.cfg.AllowedOrigins, s.cfg.Host, tcp.Port)
		attrs = append(attrs, "page", page)
		if !ok {
			defer s.log.Warn("no origin in ALLOWED_ORIGINS is on port "+strconv.Itoa(tcp.Port)+
				": the chat page served here will be refused unless it is reached through one of them; add "+
				page+" to ALLOWED_ORIGINS to open it there", "allowed_origins", strings.Join(s.cfg.AllowedOrigins, ","))
		}
	}
	mode, told := any(string(s.cfg.Mode())), []any{}
	for _, a := range s.told {
		if a.Key == "mode" {
			mode = a.Value
			continue
		}
		told = append(told, a.Key, a.Value)
	}
	attrs = append(attrs, "mode", mode)
	attrs = append(attrs, told...)
	if hooks := hooksOn(s.cfg); hooks != "" {
		attrs = append(attrs, "hooks", hooks)
	}
	attrs = append(attrs, "pid", os.Getpid())
	s.log.Info("listening", attrs...)
}

// hooksOn names the hooks whose URL is set ("connect,publish,webhook"),
// with "fail-open" when they allow on failure: an operator reading the
// start-up line knows the backend is in the loop. "" when none is.
func hooksOn(cfg config.Config) string {
	var on []string
	for _, h := range []struct{ name, url string }{
		{"connect", cfg.ConnectHookURL}, {"publish", cfg.PublishHookURL}, {"webhook", cfg.WebhookURL},
	} {
		if h.url != "" {
			on = append(on, h.name)
		}
	}
	if len(on) > 0 && cfg.HookFailOpen {
		on = append(on, "fail-open")
	}
	return strings.Join(on, ",")
}
