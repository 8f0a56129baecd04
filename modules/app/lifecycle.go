package app

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/drain"
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
// A signal after the first one (Ctrl+C twice) hurries the drain: what is
// left of DRAIN_DELAY and SHUTDOWN_SPREAD is skipped.
//
// A shutdown is logged twice: "shutting down" before any module stops, and
// "stopped" once the last one has (Redis closed, in redis mode). fx runs
// stop hooks in the reverse order of their registration, and invokes child
// modules before the root's own invokes: the "stopped" hook is registered
// by a module placed before every other, before any constructor has run,
// and the "shutting down" hook by a root invoke placed after all of mods,
// once every constructor has. A start that fails rolls back without either
// line: "stopped" is logged only after "shutting down".
//
// The drain's delay runs in that same last hook, right after "shutting
// down": before the server stops accepting (its hook was registered
// earlier, so it runs later), and never on a failed start's rollback.
func lifecycle(mods ...fx.Option) fx.Option {
	var shuttingDown atomic.Bool
	return fx.Options(
		fx.Module("lifecycle", fx.Invoke(func(p signalParams) {
			signals := make(chan os.Signal, 2)
			signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
			done := make(chan struct{})
			go relaySignals(signals, done, p)
			p.Lifecycle.Append(fx.Hook{OnStop: func(context.Context) error {
				signal.Stop(signals)
				close(done)
				if shuttingDown.Load() {
					p.Log.Info("stopped")
				}
				return nil
			}})
		})),
		fx.Options(mods...),
		server.Announce,
		fx.Invoke(func(p drainParams) {
			p.Lifecycle.Append(fx.Hook{OnStop: func(ctx context.Context) error {
				shuttingDown.Store(true)
				p.Log.Info("shutting down")
				if p.Drain != nil {
					p.Drain.Delay(ctx, count(p.Sockets))
				}
				return nil
			}})
		}),
	)
}

// signalParams are what the signal relay needs; the drain is optional so
// that lifecycle can wrap modules without the ws side (its tests).
type signalParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Shutdown  fx.Shutdowner
	Log       *slog.Logger
	Drain     *drain.Drain `optional:"true"`
}

// relaySignals asks fx to shut down at the first signal and hurries the
// drain at every later one, until done.
func relaySignals(signals <-chan os.Signal, done <-chan struct{}, p signalParams) {
	for first := true; ; first = false {
		select {
		case <-signals:
		case <-done:
			return
		}
		switch {
		case first:
			_ = p.Shutdown.Shutdown() // remembered by fx until it waits for a signal
		case p.Drain != nil:
			p.Drain.Hurry()
		}
	}
}

type drainParams struct {
	fx.In
	Lifecycle fx.Lifecycle
	Log       *slog.Logger
	Drain     *drain.Drain  `optional:"true"`
	Sockets   drain.Sockets `optional:"true"`
}

func count(s drain.Sockets) int {
	if s == nil {
		return 0
	}
	return s.Len()
}

// stopWork bounds the part of a stop that is not the drain's waits:
// closing the sockets' handlers, presence, the bus, the webhook's last
// batch and Redis (fx's own default stop timeout).
const stopWork = 15 * time.Second

// stopTimeout gives a stop the drain's two waits on top of stopWork, so
// that fx does not cut a drain short that runs as configured.
func stopTimeout(cfg config.Config) fx.Option {
	return fx.StopTimeout(max(cfg.DrainDelay, 0) + max(cfg.ShutdownSpread, 0) + stopWork)
}
