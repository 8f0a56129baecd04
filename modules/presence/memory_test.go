package presence

import (
	"testing"
	"time"
)

func TestMemoryStore(t *testing.T) {
	testStore(t, func(t *testing.T, ttl time.Duration) Store { return NewMemory(ttl) })
}

// Expired entries are dropped once read, so a long-running embedded node
// does not keep every connection it ever saw.
func TestMemoryForgetsExpired(t *testing.T) {
	m := NewMemory(shortTTL)
	wantJoin(t, m, Entry{"gc", "u1", "c1"}, true)
	advance(m, shortTTL)
	wantUsers(t, m, "gc")
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.rooms) != 0 {
		t.Fatalf("rooms = %v, want none left", m.rooms)
	}
}
