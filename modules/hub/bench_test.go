package hub

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/presence"
)

// counter is a member that only counts: Send never blocks nor allocates.
type counter struct{ n atomic.Int64 }

func (c *counter) Send([]byte) bool { c.n.Add(1); return true }

func (c *counter) SendState(f []byte) bool { return c.Send(f) }

func (c *counter) Signal(f []byte, _ string) bool { return c.Send(f) }
func (c *counter) Replay(f []byte) bool           { return c.Send(f) }

// fanoutRoom returns a Manager with n counters joined to room "bench".
func fanoutRoom(tb testing.TB, n int) (*Manager, []*counter) {
	mgr := New(newMemory())
	members := make([]*counter, n)
	for i := range members {
		members[i] = &counter{}
		if err := mgr.Join(tb.Context(), "bench", members[i]); err != nil {
			tb.Fatal(err)
		}
	}
	return mgr, members
}

// BenchmarkFanout measures one Publish delivered to every member of a room
// (memory bus). The frame is encoded once, outside the loop.
func BenchmarkFanout(b *testing.B) {
	frame := []byte(`{"type":"chat.delivery","room":"bench","user":"u1","text":"hello","id":"01J","ts":1}`)
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			mgr, members := fanoutRoom(b, n)
			ctx := b.Context()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := mgr.Publish(ctx, "bench", frame); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			want := members[0].n.Load()
			for i, m := range members {
				if m.n.Load() != want || want == 0 {
					b.Fatalf("member %d got %d frames, member 0 got %d", i, m.n.Load(), want)
				}
			}
		})
	}
}

// Fan-out must not allocate per member: a 1000-member room costs no more
// allocations per Publish than a 10-member room.
func TestFanoutAllocationsDoNotGrowWithMembers(t *testing.T) {
	frame := []byte(`{"type":"chat.delivery"}`)
	allocs := func(n int) float64 {
		mgr, _ := fanoutRoom(t, n)
		return testing.AllocsPerRun(50, func() { _ = mgr.Publish(t.Context(), "bench", frame) })
	}
	small, large := allocs(10), allocs(1000)
	if large > small {
		t.Errorf("allocations per Publish: %v with 1000 members, %v with 10; want no per-member allocation", large, small)
	}
}

func BenchmarkULIDs(b *testing.B) {
	g := NewULIDs()
	b.ReportAllocs()
	for b.Loop() {
		_ = g.Next()
	}
}

// joinRoom returns a hub with n counters of n users in room "bench", and
// the users to join with after them.
func joinRoom(b *testing.B, n int) (*Hub, []string) {
	tracker := presence.NewTracker(presence.NewMemory(time.Minute), time.Minute, discard)
	h := newHubForTest(newMemory(), tracker)
	clients := make([]Client, n)
	for i := range clients {
		clients[i] = Client{Room: "bench", User: fmt.Sprintf("member-%04d", i), Member: &counter{}}
	}
	if _, errs := h.JoinAll(b.Context(), clients); errors.Join(errs...) != nil {
		b.Fatal(errors.Join(errs...))
	}
	users := make([]string, 1024)
	for i := range users {
		users[i] = fmt.Sprintf("conn.abc12.%05d", i)
	}
	return h, users
}

// BenchmarkJoinLeave is one connection's join of a room of 100 members as
// a handshake makes it (JoinAll with one client: presence, membership,
// the announcement recorded), and its leave. The announcements
// themselves go out on the announcer's timer, coalesced; see
// BenchmarkPresenceAnnounce.
func BenchmarkJoinLeave(b *testing.B) {
	h, users := joinRoom(b, 100)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		js, errs := h.JoinAll(ctx, []Client{{Room: "bench", User: users[i%len(users)], Member: &counter{}}})
		if errs[0] != nil {
			b.Fatal(errs[0])
		}
		h.LeaveAll(js)
		i++
	}
	b.StopTimer()
	h.Stop()
}

// BenchmarkPresenceAnnounce is one presence announcement of a room of 100
// members: the frame encoded once and queued to every member.
func BenchmarkPresenceAnnounce(b *testing.B) {
	for _, joins := range []int{1, 20} {
		b.Run(fmt.Sprintf("joins=%d", joins), func(b *testing.B) {
			h, users := joinRoom(b, 100)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				h.announce.mu.Lock()
				p := h.announce.rooms["bench"]
				if p == nil {
					p = &pending{changes: make(map[string]bool)}
					h.announce.rooms["bench"] = p
				}
				for range joins {
					p.changes[users[i%len(users)]] = true
					i++
				}
				h.announce.mu.Unlock()
				h.announce.flush("bench")
			}
		})
	}
}
