package presence_test

import (
	"testing"
	"time"

	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/presence/presencetest"
)

func TestMemoryStore(t *testing.T) {
	presencetest.Run(t, func(_ *testing.T, ttl time.Duration) presence.Store { return presence.NewMemory(ttl) })
}

// Expired entries are dropped once read, so a long-running embedded node
// does not keep every connection it ever saw.
func TestMemoryForgetsExpired(t *testing.T) {
	m := presence.NewMemory(presencetest.ShortTTL)
	presencetest.WantJoin(t, m, entry("gc", "u1", "c1"), presence.RoomEdge)
	m.Advance(presencetest.ShortTTL)
	presencetest.WantUsers(t, m, "gc")
	if n := m.Rooms(); n != 0 {
		t.Fatalf("%d rooms held, want none left", n)
	}
}
