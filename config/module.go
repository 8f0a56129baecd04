package config

import (
	"log/slog"

	"go.uber.org/fx"
)

// Module logs the warnings of the Config the app was assembled with (the
// app supplies the Config itself, read once from the environment before the
// backend is chosen).
var Module = fx.Module("config",
	fx.Invoke(logWarnings),
)

// logWarnings runs at start so an unsafe setting is visible in the first lines
// of the log, not discovered later.
func logWarnings(c Config, log *slog.Logger) {
	for _, w := range c.Warnings() {
		log.Warn(w)
	}
}
