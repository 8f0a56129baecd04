package hooks

import (
	"context"
	"log/slog"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/rtserver/rt/config"
)

// Without a URL the module provides nothing to call (nil interfaces, which
// the transport and the hub test against nil); each URL turns on its part.
func TestModuleProvidesWhatIsConfigured(t *testing.T) {
	const url = "http://127.0.0.1:1/hook"
	tests := []struct {
		name                  string
		connect, publish, web string
		caller, gate, mod     bool
	}{
		{name: "none"},
		{name: "connect", connect: url, caller: true, gate: true},
		{name: "publish", publish: url, caller: true, mod: true},
		{name: "webhook only", web: url, caller: true},
		{name: "all", connect: url, publish: url, web: url, caller: true, gate: true, mod: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Config{ConnectHookURL: tt.connect, PublishHookURL: tt.publish, WebhookURL: tt.web,
				HookSecret: testSecret, HookTimeout: shortTimeout, HookConcurrency: 2}
			var (
				caller *Caller
				gate   Gate
				mod    Moderator
			)
			app := fxtest.New(t, Module, fx.Supply(cfg, slog.New(slog.DiscardHandler)), fx.Populate(&caller, &gate, &mod))
			app.RequireStart()
			if (caller != nil) != tt.caller || (gate != nil) != tt.gate || (mod != nil) != tt.mod {
				t.Errorf("caller %v, gate %v, moderator %v", caller != nil, gate != nil, mod != nil)
			}
			if err := app.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}
