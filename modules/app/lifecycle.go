package app

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/server"
)

// lifecycle wraps mods with what a process running them needs around its
// start and stop.
//
// SIGINT and SIGTERM are caught from the moment the app is assembled. fx
// itself listens for them only once every OnStart hook has returned, so a
// signal arriving in between (just after the "listening" line, say) would
// otherwise end the process on the spot, without closing a socket; caught
// here it asks fx to shut down, which it does as soon as the start is over.
//
// A shutdown is logged twice: "shutting down" before any module stops, and
// "stopped" once the last one has (Redis closed, in redis mode). fx runs
// stop hooks in the reverse order of their registration, and invokes child
// modules before the root's own invokes: the "stopped" hook is registered
// by a module placed before every other, before any constructor has run,
// and the "shutting down" hook by a root invoke placed after all of mods,
// once every constructor has. A start that fails rolls back without either
// line: "stopped" is logged only after "shutting down".
func lifecycle(mods ...fx.Option) fx.Option {
	var shuttingDown atomic.Bool
	return fx.Options(
		fx.Module("lifecycle", fx.Invoke(func(lc fx.Lifecycle, sd fx.Shutdowner, log *slog.Logger) {
			signals := make(chan os.Signal, 1)
			signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
			done := make(chan struct{})
			go func() {
				select {
				case <-signals:
					_ = sd.Shutdown() // remembered by fx until it waits for a signal
				case <-done:
				}
			}()
			lc.Append(fx.Hook{OnStop: func(context.Context) error {
				signal.Stop(signals)
				close(done)
				if shuttingDown.Load() {
					log.Info("stopped")
				}
				return nil
			}})
		})),
		fx.Options(mods...),
		server.Announce,
		fx.Invoke(func(lc fx.Lifecycle, log *slog.Logger) {
			lc.Append(fx.Hook{OnStop: func(context.Context) error {
				shuttingDown.Store(true)
				log.Info("shutting down")
				return nil
			}})
		}),
	)
}
