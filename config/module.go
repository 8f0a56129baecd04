package config

import (
	"log/slog"

	"go.uber.org/fx"
)

// Module provides Config read from the process environment. A bad value makes
// fx fail at start with Load's one-line-per-variable error.
var Module = fx.Module("config",
	fx.Provide(FromOS),
	fx.Invoke(logWarnings),
)

// logWarnings runs at start so an unsafe setting is visible in the first lines
// of the log, not discovered later.
func logWarnings(c Config) {
	for _, w := range c.Warnings() {
		slog.Warn(w)
	}
}
