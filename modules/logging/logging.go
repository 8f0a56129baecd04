// Package logging sets up the process's structured logger (log/slog) and
// routes fx's own events through it: lifecycle chatter at debug level, and a
// failed start or stop as its root cause alone, one line per problem, so an
// operator reads "PORT=\"abc\": must be ..." rather than a dependency graph.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.uber.org/dig"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"rt/config"
)

// Module makes slog the logger of the app and of fx itself. The default
// slog logger is configured first thing, so every later log line (config
// warnings included) has the configured level and format. The invoke sits in
// a module of its own because fx runs modules' invokes before the root's,
// in the order the modules are listed; the fx logger must stay at the root.
var Module = fx.Options(
	fx.WithLogger(func() fxevent.Logger { return NewFxLogger(os.Stderr) }),
	fx.Module("logging",
		fx.Invoke(func(cfg config.Config) { slog.SetDefault(NewLogger(cfg, os.Stderr)) }),
	),
)

// FxLogger reports fx's events: failures to out, the rest at debug level.
type FxLogger struct {
	out   io.Writer
	debug *fxevent.SlogLogger
}

// NewFxLogger writes start and stop failures to out.
func NewFxLogger(out io.Writer) *FxLogger {
	l := &fxevent.SlogLogger{Logger: slog.Default()}
	l.UseLogLevel(slog.LevelDebug)
	l.UseErrorLevel(slog.LevelDebug)
	return &FxLogger{out: out, debug: l}
}

// LogEvent implements fxevent.Logger.
func (l *FxLogger) LogEvent(e fxevent.Event) {
	l.debug.LogEvent(e)
	switch e := e.(type) {
	case *fxevent.Started:
		l.fail("cannot start", e.Err)
	case *fxevent.Stopped:
		l.fail("stop failed", e.Err)
	}
}

func (l *FxLogger) fail(what string, err error) {
	if err == nil {
		return
	}
	for _, line := range strings.Split(dig.RootCause(err).Error(), "\n") {
		fmt.Fprintf(l.out, "rt: %s: %s\n", what, line)
	}
}
