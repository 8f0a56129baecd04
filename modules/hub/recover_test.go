package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/protocol"
)

// chatIDs returns the ids of m's chat.delivery frames, in order, and its
// history.recovered frames.
func chatIDs(t *testing.T, m *member) (ids []string, recovered []map[string]any) {
	t.Helper()
	for _, f := range m.got() {
		var v map[string]any
		if err := json.Unmarshal(f, &v); err != nil {
			t.Fatalf("frame %s: %v", f, err)
		}
		switch v["type"] {
		case protocol.TypeChatDelivery:
			ids = append(ids, v["id"].(string))
		case protocol.TypeRecovered:
			recovered = append(recovered, v)
		}
	}
	return ids, recovered
}

// gatedLog is a history whose first Range waits at gate after reading, or
// before reading when readLate, so a test can publish in between.
type gatedLog struct {
	*bus.Memory
	readLate bool
	gate     chan struct{}
	reading  chan struct{}
	once     sync.Once
}

func (g *gatedLog) Range(ctx context.Context, room, after string, limit int) ([]bus.Entry, bool, error) {
	first := false
	g.once.Do(func() { first = true })
	if !first {
		return g.Memory.Range(ctx, room, after, limit)
	}
	if g.readLate {
		close(g.reading)
		<-g.gate
		return g.Memory.Range(ctx, room, after, limit)
	}
	entries, held, err := g.Memory.Range(ctx, room, after, limit)
	close(g.reading)
	<-g.gate
	return entries, held, err
}

// joinSince joins c and runs its recovery, as the transport does.
func joinSince(ctx context.Context, h *Hub, c Client, p Pacer) (leave func(), err error) {
	leave, err = h.Join(ctx, c)
	if err == nil {
		h.Recover(ctx, c, p)
	}
	return leave, err
}

func newHistoryHub(b bus.Bus) *Hub {
	tracker := presence.NewTracker(presence.NewMemory(time.Minute), time.Minute, discard)
	return newHub(b, tracker, NewULIDs(), Limits{MaxMessageBytes: 4096}, discard)
}

// watched joins a watcher to room "r" of h and has n messages said there;
// it returns the watcher and the ids it got.
func watched(t *testing.T, h *Hub, n int) (*member, []string) {
	t.Helper()
	watcher := &member{}
	if _, err := h.Join(t.Context(), Client{Room: "r", User: "w", Member: watcher}); err != nil {
		t.Fatal(err)
	}
	say(t, h, "r", n)
	all, _ := chatIDs(t, watcher)
	return watcher, all
}

func say(t *testing.T, h *Hub, room string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := h.Say(t.Context(), "sender", text(room, fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
}

// A join with since gets what history holds after it, then
// history.recovered, then what is published while the replay is read, each
// once and in order, whether the live messages come before or after the
// history read.
func TestRecoveryHoldsLiveMessages(t *testing.T) {
	for _, readLate := range []bool{false, true} {
		t.Run(fmt.Sprintf("read late %v", readLate), func(t *testing.T) {
			log := &gatedLog{Memory: newMemory(), readLate: readLate, gate: make(chan struct{}), reading: make(chan struct{})}
			h := newHistoryHub(log)
			watcher, all := watched(t, h, 5)
			bob := &member{}
			done := make(chan error)
			go func() {
				_, err := joinSince(t.Context(), h, Client{Room: "r", User: "bob", Member: bob, Since: all[1]}, nil)
				done <- err
			}()
			<-log.reading
			say(t, h, "r", 3) // live while the replay is read: held for bob
			close(log.gate)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			say(t, h, "r", 1)
			all, _ = chatIDs(t, watcher)
			got, rec := chatIDs(t, bob)
			if want := all[2:]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("bob got %v\nwant     %v", got, want)
			}
			if len(rec) != 1 || rec[0]["complete"] != true {
				t.Fatalf("recovered %v, want one, complete", rec)
			}
		})
	}
}

// A since history does not hold (trimmed, or never an id of this room)
// recovers what there is, says incomplete, and never holds back live
// messages, even when it names the far future.
func TestRecoveryIncomplete(t *testing.T) {
	log := bus.NewMemory(bus.Settings{Size: 3, TTL: time.Hour})
	h := newHistoryHub(log)
	_, all := watched(t, h, 6)
	for _, tc := range []struct {
		name, since string
		want        int // messages replayed: the newest this many
	}{
		{"trimmed", all[0], 3},
		{"future", protocol.FormatID(1<<47, 0), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			held, _, _ := log.Before(t.Context(), "r", "", 100)
			var want []string
			for _, e := range held[len(held)-tc.want:] {
				want = append(want, e.ID)
			}
			m := &member{}
			leave, err := joinSince(t.Context(), h, Client{Room: "r", User: tc.name, Member: m, Since: tc.since}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer leave()
			got, rec := chatIDs(t, m)
			if fmt.Sprint(got) != fmt.Sprint(want) || len(rec) != 1 || rec[0]["complete"] != false || rec[0]["count"] != float64(len(want)) {
				t.Fatalf("got %v, %v; want %v, incomplete", got, rec, want)
			}
			say(t, h, "r", 1)
			if got, _ := chatIDs(t, m); len(got) != len(want)+1 {
				t.Fatalf("the live message after the recovery did not arrive: %v", got)
			}
		})
	}
}

// linkBus is the memory bus with a link that a test breaks: while it is down
// messages are stored but not delivered, as when a node's Pub/Sub
// connection is lost, and the subscribers are told LinkLost and LinkBack.
type linkBus struct {
	*bus.Memory
	down atomic.Bool
	mu   sync.Mutex
	subs map[string][]func(bus.Message)
}

func newLinkBus() *linkBus {
	return &linkBus{Memory: newMemory(), subs: map[string][]func(bus.Message){}}
}

// Subscribe registers deliver for the link's notices, and with the memory
// bus behind a filter that drops every message while the link is down:
// stored, never received.
func (l *linkBus) Subscribe(ctx context.Context, room string, deliver func(bus.Message)) func() {
	l.mu.Lock()
	l.subs[room] = append(l.subs[room], deliver)
	l.mu.Unlock()
	return l.Memory.Subscribe(ctx, room, func(m bus.Message) {
		if !l.down.Load() {
			deliver(m)
		}
	})
}

func (l *linkBus) signal(link bus.Link) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for room, subs := range l.subs {
		for _, deliver := range subs {
			deliver(bus.Message{Room: room, Link: link})
		}
	}
}

func (l *linkBus) lose() { l.down.Store(true); l.signal(bus.LinkLost) }
func (l *linkBus) back() { l.down.Store(false); l.signal(bus.LinkBack) }

// waitIDs waits until m has n chat deliveries; the bound is a hang guard.
func waitIDs(t *testing.T, m *member, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ids, _ := chatIDs(t, m)
		if len(ids) >= n || time.Now().After(deadline) {
			return ids
		}
		time.Sleep(time.Millisecond)
	}
}

// After the link comes back the room delivers, in order, what it missed,
// then what arrived meanwhile, each once; losing the link again while
// filling loses nothing either.
func TestGapFill(t *testing.T) {
	for _, twice := range []bool{false, true} {
		t.Run(fmt.Sprintf("lost twice %v", twice), func(t *testing.T) {
			b := newLinkBus()
			h := newHistoryHub(b)
			m := &member{}
			if _, err := h.Join(t.Context(), Client{Room: "r", User: "m", Member: m}); err != nil {
				t.Fatal(err)
			}
			say(t, h, "r", 2)
			b.lose()
			say(t, h, "r", 3) // missed
			if twice {
				b.back()
				b.lose()
				say(t, h, "r", 2)
			}
			b.back()
			say(t, h, "r", 2)
			want, _, _ := b.Before(t.Context(), "r", "", 100)
			got := waitIDs(t, m, len(want))
			if len(got) != len(want) {
				t.Fatalf("got %d ids %v, want %d", len(got), got, len(want))
			}
			for i, e := range want {
				if got[i] != e.ID {
					t.Fatalf("id %d = %s, want %s (got %v)", i, got[i], e.ID, got)
				}
			}
		})
	}
}

// The history metrics move by what happened: appends, recoveries by
// complete, messages replayed, append failures, and a gap fill's
// recovered messages and duplicates.
func TestHistoryMetrics(t *testing.T) {
	b := newLinkBus()
	h := newHistoryHub(b)
	m := &member{}
	if _, err := h.Join(t.Context(), Client{Room: "r", User: "m", Member: m}); err != nil {
		t.Fatal(err)
	}
	say(t, h, "r", 3)
	ids, _ := chatIDs(t, m)
	for _, since := range []string{ids[0], protocol.FormatID(1<<47, 0)} { // complete, then not
		if _, err := joinSince(t.Context(), h, Client{Room: "r", User: "late", Member: &member{}, Since: since}, nil); err != nil {
			t.Fatal(err)
		}
	}
	b.lose()
	say(t, h, "r", 2) // missed, then filled from history
	b.back()
	waitIDs(t, m, 5)
	failing := newHistoryHub(failingBus{newMemory()})
	if _, err := failing.Say(t.Context(), "u", text("r", "x")); err == nil {
		t.Fatal("a publish on a failing bus succeeded")
	}

	got := metricstest.Gather(t, h.Collectors()...)
	for _, want := range []struct {
		name   string
		labels []string
		value  float64
	}{
		{"rt_history_appends_total", nil, 5},
		{"rt_history_recoveries_total", []string{"complete", "true"}, 1},
		{"rt_history_recoveries_total", []string{"complete", "false"}, 1},
		{"rt_history_replayed_total", nil, 2},
		{"rt_history_gap_fills_total", []string{"result", "complete"}, 1},
		{"rt_history_gap_recovered_total", nil, 2},
	} {
		if v := got.Value(want.name, want.labels...); v != want.value {
			t.Errorf("%s%v = %v, want %v", want.name, want.labels, v, want.value)
		}
	}
	if v := metricstest.Gather(t, failing.Collectors()...).Value("rt_history_errors_total", "op", "append"); v != 1 {
		t.Errorf("rt_history_errors_total{op=append} = %v, want 1", v)
	}
}
