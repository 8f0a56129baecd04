package bus_test

import (
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
)

// MemoryModule needs nothing but the config's history limits: no redis
// module, no logger.
func TestMemoryModule(t *testing.T) {
	var b bus.Bus
	cfg := config.Config{HistorySize: 10, HistoryTTL: time.Hour}
	app := fxtest.New(t, fx.Supply(cfg), bus.MemoryModule, fx.Populate(&b))
	app.RequireStart()
	if _, ok := b.(*bus.Memory); !ok {
		t.Fatalf("MemoryModule provides %T, want *Memory", b)
	}
	r := bustest.NewRecorder()
	cancel := bustest.Subscribe(t, b, "module", r)
	defer cancel()
	sent := bus.Message{Room: "module", ID: "01J9ZK7Q3X", At: 1_700_000_000_123, Frame: []byte("hello")}
	bustest.PublishMessage(t, b, sent)
	r.WaitFor(t, "hello")
	if got := r.Messages(); len(got) != 1 || !bustest.SameMessage(got[0], sent) {
		t.Errorf("got %+v, want [%+v]", got, sent)
	}
	app.RequireStop()
}
