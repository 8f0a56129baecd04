package webhook_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/goleak"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/hooks"
	"github.com/rtserver/rt/modules/logging/logtest"
	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// webhookConfig is what the module reads, WEBHOOK_URL set to url.
func webhookConfig(url string) config.Config {
	return config.Config{
		WebhookURL: url, HookSecret: webhooktest.Secret, HookTimeout: 2 * time.Second,
		HookConcurrency: 4, WebhookBacklog: 1000,
	}
}

// hooksProvided stands in for the hooks module: its caller and stats.
func hooksProvided(cfg config.Config) fx.Option {
	return fx.Provide(hooks.NewStats, func(lc fx.Lifecycle, s *hooks.Stats) *hooks.Caller {
		c := hooks.NewCaller(cfg.HookSecret, cfg.HookTimeout, cfg.HookConcurrency, s)
		lc.Append(fx.StopHook(c.Close))
		return c
	})
}

func logTo(w *logtest.Buffer) fx.Option {
	return fx.Supply(slog.New(slog.NewTextHandler(w, nil)))
}

// Without WEBHOOK_URL the Recorder is nil and the module starts nothing.
func TestModuleOffWithoutURL(t *testing.T) {
	before := goleak.IgnoreCurrent()
	cfg := webhookConfig("")
	var rec webhook.Recorder
	app := fxtest.New(t, fx.Supply(cfg), logTo(&logtest.Buffer{}), hooksProvided(cfg),
		webhook.Module, webhook.MemoryModule, fx.Populate(&rec))
	app.RequireStart()
	if rec != nil {
		t.Errorf("Recorder = %T, want nil", rec)
	}
	if err := goleak.Find(before); err != nil {
		t.Errorf("a goroutine runs with WEBHOOK_URL unset: %v", err)
	}
	app.RequireStop()
}

// With WEBHOOK_URL the module delivers what the Recorder records, with
// the hooks module's caller or, without that module, a caller of its own.
func TestModuleDelivers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hooks bool
	}{{"hooks module's caller", true}, {"own caller", false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := webhooktest.NewBackend(t, nil)
			cfg := webhookConfig(b.URL())
			opts := []fx.Option{fx.Supply(cfg), logTo(&logtest.Buffer{}), webhook.Module, webhook.MemoryModule}
			if tc.hooks {
				opts = append(opts, hooksProvided(cfg))
			}
			var rec webhook.Recorder
			app := fxtest.New(t, append(opts, fx.Populate(&rec))...)
			app.RequireStart()
			rec.Record(joins(1, 2)...)
			if got := users(b.AwaitAccepted(2)); strings.Join(got, ",") != "u1,u2" {
				t.Errorf("delivered %q", got)
			}
			app.RequireStop()
		})
	}
}

// WEBHOOK_URL without a queue module fails the start, naming what is
// missing.
func TestModuleNeedsAQueue(t *testing.T) {
	cfg := webhookConfig("http://127.0.0.1:1/events")
	app := fx.New(fx.NopLogger, fx.Supply(cfg), logTo(&logtest.Buffer{}), webhook.Module)
	if err := app.Err(); err == nil || !strings.Contains(err.Error(), "no webhook queue") {
		t.Errorf("err = %v, want the missing queue named", err)
	}
}

// Stopping embedded mode with events undelivered says they are lost.
func TestMemoryModuleLogsLostEvents(t *testing.T) {
	b := webhooktest.NewBackend(t, func(int, webhooktest.Batch) int { return webhooktest.Hang })
	cfg := webhookConfig(b.URL())
	log := &logtest.Buffer{}
	var rec webhook.Recorder
	app := fxtest.New(t, fx.Supply(cfg), logTo(log), hooksProvided(cfg),
		webhook.Module, webhook.MemoryModule, fx.Populate(&rec))
	app.RequireStart()
	rec.Record(joins(1, 4)...)
	b.AwaitArrived(1)
	app.RequireStop()
	if !strings.Contains(log.String(), "embedded mode keeps them in memory") || !strings.Contains(log.String(), "events=4") {
		t.Errorf("no loss logged:\n%s", log)
	}
}
