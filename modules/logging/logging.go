// Package logging provides the process's structured logger (log/slog) and
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

	"github.com/rtserver/rt/config"
)

// Module provides the app's *slog.Logger, built from LOG_LEVEL and
// LOG_FORMAT, and makes it fx's event logger too. Every module logs through
// the one it is given; nothing uses slog's package-level default.
var Module = fx.Options(
	fx.WithLogger(func(log *slog.Logger) fxevent.Logger { return NewFxLogger(os.Stderr, log) }),
	fx.Module("logging",
		fx.Provide(func(cfg config.Config) *slog.Logger { return NewLogger(cfg, os.Stderr) }),
	),
)

// FxLogger reports fx's events: failures to out, every event to log at
// debug level.
type FxLogger struct {
	out   io.Writer
	debug *fxevent.SlogLogger
}

// NewFxLogger writes start and stop failures to out and every event to log.
func NewFxLogger(out io.Writer, log *slog.Logger) *FxLogger {
	l := &fxevent.SlogLogger{Logger: log}
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
