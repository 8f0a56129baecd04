// Package logging sets up the process's structured logger (log/slog) and
// routes fx's own events through it: lifecycle chatter at debug level,
// failures at error level, so a failed start ends in one readable line.
package logging

import (
	"log/slog"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
)

// Module makes slog the logger of the app and of fx itself.
var Module = fx.Options(
	fx.WithLogger(newFxLogger),
)

func newFxLogger() fxevent.Logger {
	l := &fxevent.SlogLogger{Logger: slog.Default()}
	l.UseLogLevel(slog.LevelDebug)
	return l
}
