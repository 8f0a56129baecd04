package history

import (
	"testing"
	"time"

	"rt/modules/bus"
	"rt/modules/protocol"
	"rt/modules/redis/redistest"
)

// benchDraft returns a fresh draft of a typical message on every call: a
// stored frame must not be reused.
func benchDraft() func() []Draft {
	ts := time.Now().UnixMilli()
	frame, at := protocol.DeliveryDraft("bench", "user-bench", "a message of a typical length, some forty bytes", ts)
	return func() []Draft {
		return []Draft{{Room: "bench", At: ts, Frame: append([]byte(nil), frame...), IDAt: at}}
	}
}

// BenchmarkMemoryAppend: one room, one draft per call, default settings.
func BenchmarkMemoryAppend(b *testing.B) {
	h := NewMemory(bus.NewMemory(), Settings{Size: 200, TTL: time.Hour})
	next := benchDraft()
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := h.Append(b.Context(), next()); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
}

// BenchmarkRedisAppend: one room, one draft per call, one round trip each,
// against a local redis-server.
func BenchmarkRedisAppend(b *testing.B) {
	srv := redistest.Start(b)
	n := newRedisNode(b, srv, Settings{Size: 200, TTL: time.Hour})
	next := benchDraft()
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := n.log.Append(b.Context(), next()); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
}
