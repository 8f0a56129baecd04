package hub

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/webhook"
)

// Two users of one room on two nodes: the room is occupied once, by
// whoever came first on either node, and vacated once, by whoever left
// last; each user's first connection is a join and the last a leave,
// recorded by the node it happened on; a second tab records nothing.
func TestWebhookPresenceAcrossNodes(t *testing.T) {
	for name, nodes := range backends {
		t.Run(name, func(t *testing.T) {
			a, b := nodes(t)
			ra, rb := withRecorder(a), withRecorder(b)
			since := time.Now().UnixMilli()

			alice := joinT(t, a, Client{Room: "r", User: "alice", Member: &member{}})
			wantEvents(t, ra.take(), since, "room.occupied r ", "presence.join r alice")
			bob1 := joinT(t, b, Client{Room: "r", User: "bob", Member: &member{}})
			wantEvents(t, rb.take(), since, "presence.join r bob")
			bob2 := joinT(t, b, Client{Room: "r", User: "bob", Member: &member{}})
			wantEvents(t, rb.take(), since) // bob's second tab

			alice.Leave()
			wantEvents(t, ra.take(), since, "presence.leave r alice")
			bob1.Leave()
			wantEvents(t, rb.take(), since) // bob still has a tab
			bob2.Leave()
			wantEvents(t, rb.take(), since, "presence.leave r bob", "room.vacated r ")
			bob2.Leave() // a repeated leave
			wantEvents(t, append(ra.take(), rb.take()...), since)

			bob := joinT(t, b, Client{Room: "r", User: "bob", Member: &member{}})
			wantEvents(t, rb.take(), since, "room.occupied r ", "presence.join r bob") // occupied anew
			bob.Leave()
			wantEvents(t, rb.take(), since, "presence.leave r bob", "room.vacated r ")
		})
	}
}

// A batch records in the order of its clients, the room's edge around
// the user's: occupied before the join, vacated after the leave. All of a
// batch goes to the Recorder in one call.
func TestWebhookBatchOrder(t *testing.T) {
	for name, nodes := range backends {
		t.Run(name, func(t *testing.T) {
			a, b := nodes(t)
			ra := withRecorder(a)
			since := time.Now().UnixMilli()
			joinT(t, b, Client{Room: "y", User: "bob", Member: &member{}}) // b has no recorder
			m := &member{}
			js, errs := a.JoinAll(t.Context(), []Client{
				{Room: "x", User: "amy", Member: m}, {Room: "y", User: "amy", Member: m}, {Room: "z", User: "amy", Member: m},
			})
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			wantEvents(t, ra.take(), since,
				"room.occupied x ", "presence.join x amy", "presence.join y amy", "room.occupied z ", "presence.join z amy")
			a.LeaveAll(js)
			wantEvents(t, ra.take(), since,
				"presence.leave x amy", "room.vacated x ", "presence.leave y amy", "presence.leave z amy", "room.vacated z ")
			if n := ra.callCount(); n != 2 {
				t.Errorf("%d calls to Record for two batches, want 2", n)
			}
		})
	}
}

// Each message history stored is recorded once, by the node it was said
// on, with its id and ts as the delivery carries them and its content; a
// message refused records nothing, nor does the other node that delivers
// it.
func TestWebhookMessagePublished(t *testing.T) {
	for name, nodes := range backends {
		t.Run(name, func(t *testing.T) {
			a, b := nodes(t)
			ra, rb := withRecorder(a), withRecorder(b)
			joinT(t, a, Client{Room: "r", User: "alice", Member: &member{}})
			far := &member{}
			joinT(t, b, Client{Room: "r", User: "bob", Member: far})
			ra.take()
			rb.take()

			said := []Said{
				text("r", "hi"),
				{Room: "r", Content: Content{Text: string(make([]byte, 5000))}}, // too long
				{Room: "r", Content: Content{Text: "see", Data: []byte(`{"k":[1,2]}`)}},
				{Room: "r", Content: Content{Data: []byte(`7`)}},
			}
			since := time.Now().UnixMilli()
			ps, errs := a.SayAll(t.Context(), "alice", said)
			if errs[0] != nil || !errors.Is(errs[1], ErrTextTooLong) || errs[2] != nil || errs[3] != nil {
				t.Fatalf("SayAll errors %v", errs)
			}
			events := ra.take()
			wantEvents(t, events, since, "message.published r alice", "message.published r alice", "message.published r alice")
			for k, i := range []int{0, 2, 3} {
				e, want := events[k], webhook.Message{ID: ps[i].ID, Text: said[i].Text, Data: jsontext.Value(said[i].Data)}
				if e.TS != ps[i].TS || e.Message.ID != want.ID || e.Message.Text != want.Text || string(e.Message.Data) != string(want.Data) {
					t.Errorf("event %d: ts %d, message %+v; want ts %d, message %+v", k, e.TS, *e.Message, ps[i].TS, want)
				}
			}
			waitChats(t, far, 3) // the other node has delivered them all
			if got := rb.take(); len(got) != 0 {
				t.Fatalf("the delivering node recorded %q", summary(got))
			}
		})
	}
}

// A message history did not take is not recorded.
func TestWebhookNothingWhenAppendFails(t *testing.T) {
	h := newTestHub(t, failingBus{newMemory()}, NewULIDs())
	r := withRecorder(h)
	if _, err := h.Say(t.Context(), "alice", text("r", "hi")); !errors.Is(err, errBackendAway) {
		t.Fatalf("Say = %v, want the bus's error", err)
	}
	if got := r.take(); len(got) != 0 || r.callCount() != 0 {
		t.Fatalf("recorded %q in %d calls", summary(got), r.callCount())
	}
}

// Without a Recorder the hub joins, says and leaves as before, and builds
// no event.
func TestWebhookNoRecorder(t *testing.T) {
	h := newTestHub(t, newMemory(), NewULIDs())
	j := joinT(t, h, Client{Room: "r", User: "alice", Member: &member{}})
	if _, err := h.Say(t.Context(), "alice", text("r", "hi")); err != nil {
		t.Fatal(err)
	}
	j.Leave()
	entries := []presence.Entry{{Room: "r", User: "u", Conn: "c"}}
	edges := []presence.Edge{presence.RoomEdge}
	said, ps, errs := []Said{text("r", "hi")}, []Published{{ID: "1", TS: 1}}, []error{nil}
	allocs := testing.AllocsPerRun(10, func() {
		h.recordJoins(entries, edges)
		h.recordLeaves(entries, edges)
		h.recordSaid("u", said, ps, errs)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch without a Recorder, want 0", allocs)
	}
}

// The Recorder is an optional dependency of the hub module: absent, the hub
// has none; provided, the hub records into it.
func TestModuleRecorderOptional(t *testing.T) {
	cfg := config.Config{PresenceTTL: time.Minute, MaxMessageBytes: 4096}
	base := fx.Options(fx.Supply(cfg, discard), fx.Provide(func() bus.Bus { return newMemory() }),
		presence.MemoryModule, presence.Module, Module)
	for name, rec := range map[string]*recorder{"absent": nil, "provided": {}} {
		t.Run(name, func(t *testing.T) {
			opts := []fx.Option{base}
			if rec != nil {
				opts = append(opts, fx.Provide(func() webhook.Recorder { return rec }))
			}
			var h *Hub
			app := fxtest.New(t, append(opts, fx.Populate(&h))...)
			app.RequireStart()
			defer app.RequireStop()
			if rec == nil {
				if h.webhooks != nil {
					t.Fatalf("hub recorder %T without a webhook module, want none", h.webhooks)
				}
				return
			}
			joinT(t, h, Client{Room: "r", User: "alice", Member: &member{}})
			if got := summary(rec.take()); !slices.Equal(got, []string{"room.occupied r ", "presence.join r alice"}) {
				t.Fatalf("recorded %q", got)
			}
		})
	}
}

// waitChats waits until m got n chat messages; the bound is a hang guard
// only.
func waitChats(t *testing.T, m *member, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if ids, _ := chatIDs(t, m); len(ids) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q, want %d chat messages", m.strings(), n)
		}
	}
}
