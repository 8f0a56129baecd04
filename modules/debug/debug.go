// Package debug serves Go's profiler (net/http/pprof) on DEBUG_ADDR, a
// listener of its own apart from the public port, so performance work can
// start from a profile of the running server:
//
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=10
//
// Without DEBUG_ADDR it serves nothing.
package debug

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
)

// Module serves the profiler when DEBUG_ADDR is set.
var Module = fx.Module("debug", fx.Invoke(serve))

func serve(lc fx.Lifecycle, cfg config.Config, log *slog.Logger) {
	if cfg.DebugAddr == "" {
		return
	}
	srv := &http.Server{Handler: handler(), ReadHeaderTimeout: 10 * time.Second}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ln, err := net.Listen("tcp", cfg.DebugAddr)
			if err != nil {
				return err
			}
			log.Info("profiler listening", "addr", ln.Addr().String())
			go func() {
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("profiler stopped", "err", err)
				}
			}()
			return nil
		},
		OnStop: srv.Shutdown,
	})
}

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
