package presence_test

import (
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/presence/presencetest"
)

// MemoryModule provides the Memory store; the Tracker joins through it,
// and stopping the app removes the Tracker's entries.
func TestModuleEmbedded(t *testing.T) {
	var (
		tr    *presence.Tracker
		store presence.Store
	)
	cfg := config.Config{PresenceTTL: presencetest.LongTTL}
	app := fxtest.New(t, fx.Supply(cfg, discardLog), presence.MemoryModule, presence.Module, fx.Populate(&tr, &store))
	app.RequireStart()
	if _, ok := store.(*presence.Memory); !ok {
		t.Fatalf("store = %T, want *presence.Memory", store)
	}
	presencetest.WantJoin(t, tr, entry("fx", "u1", "c1"), presence.RoomEdge)
	presencetest.WantUsers(t, tr, "fx", "u1")
	app.RequireStop()
	presencetest.WantUsers(t, store, "fx")
}

// Embedded mode needs no redis module at all.
func TestModuleWithoutRedis(t *testing.T) {
	var tr *presence.Tracker
	app := fxtest.New(t, fx.Supply(config.Config{PresenceTTL: presencetest.LongTTL}, discardLog), presence.MemoryModule, presence.Module, fx.Populate(&tr))
	app.RequireStart()
	presencetest.WantJoin(t, tr, entry("solo", "u1", "c1"), presence.RoomEdge)
	app.RequireStop()
}
