package e2e

import (
	"context"
	"sync"
	"testing"

	"go.uber.org/fx"

	"rt/modules/bus"
)

// recordingBus is a bus of the test's own: it wraps the memory bus and
// remembers every published frame.
type recordingBus struct {
	*bus.Memory
	mu        sync.Mutex
	published []string
}

func (r *recordingBus) Publish(ctx context.Context, room string, frame []byte) error {
	r.mu.Lock()
	r.published = append(r.published, room+" "+string(frame))
	r.mu.Unlock()
	return r.Memory.Publish(ctx, room, frame)
}

func TestAppWithABusOfItsOwn(t *testing.T) {
	mine := &recordingBus{Memory: bus.NewMemory()}
	n := startNode(t, testConfig(), fx.Decorate(func(bus.Bus) bus.Bus { return mine }))
	a := dial(t, n, "test", "alice")
	a.expect("presence.join")
	a.chat("through my bus")
	a.expect("chat.delivery")
	mine.mu.Lock()
	defer mine.mu.Unlock()
	if len(mine.published) != 2 { // alice's join, then her message
		t.Fatalf("published %q", mine.published)
	}
}
