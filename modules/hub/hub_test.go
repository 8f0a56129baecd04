package hub

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/protocol"
)

// fixedIDs hands out the ids it was given, in order.
type fixedIDs struct{ next []string }

func (f *fixedIDs) Next() string { id := f.next[0]; f.next = f.next[1:]; return id }

// failingBus refuses every append and publish, as a bus whose backend is
// away.
type failingBus struct{ bus.Bus }

func (failingBus) Publish(context.Context, bus.Message) error { return errBackendAway }

func (failingBus) Append(_ context.Context, drafts []bus.Draft) ([]string, []error) {
	errs := make([]error, len(drafts))
	for i := range errs {
		errs[i] = errBackendAway
	}
	return make([]string, len(drafts)), errs
}

var errBackendAway = errors.New("backend away")

func newTestHub(t *testing.T, b bus.Bus, ids IDs) *Hub {
	t.Helper()
	tracker := presence.NewTracker(presence.NewMemory(time.Minute), time.Minute, discard)
	return newHub(b, tracker, ids, Limits{MaxMessageBytes: 8}, discard)
}

// newMemory is the memory bus with room for every test's history.
func newMemory() *bus.Memory {
	return bus.NewMemory(bus.Settings{Size: 200, TTL: time.Hour})
}

func frames(m *member) []string { return m.strings() }

// waitFrames waits until m has n frames; the bound is a hang guard only.
func waitFrames(t *testing.T, m *member, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(m.got()) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d frames, want %d: %q", len(m.got()), n, m.strings())
		}
	}
}

func TestJoinSayLeave(t *testing.T) {
	h := newTestHub(t, newMemory(), &fixedIDs{next: []string{"c1", "c2"}})
	alice, bob := &member{}, &member{}
	leaveAlice, err := h.Join(t.Context(), Client{Room: "r", User: "alice", Member: alice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Say(t.Context(), "alice", text("r", "hi")); err != nil {
		t.Fatal(err)
	}
	leaveBob, err := h.Join(t.Context(), Client{Room: "r", User: "bob", Member: bob})
	if err != nil {
		t.Fatal(err)
	}
	users, err := h.Presence(t.Context(), "r")
	if err != nil || !slices.Equal(users, []string{"alice", "bob"}) {
		t.Fatalf("Presence = %v, %v", users, err)
	}
	waitFrames(t, alice, 3) // bob's join comes at the end of alice's announcement window
	leaveBob()
	waitFrames(t, alice, 4)
	leaveAlice()
	h.Stop()

	got := frames(alice)
	want := []string{`"type":"presence.join","room":"r","user":"alice"`, `"type":"chat.delivery","room":"r","user":"alice","text":"hi","id":"`,
		`"type":"presence.join","room":"r","user":"bob"`, `"type":"presence.leave","room":"r","user":"bob"`}
	if len(got) != len(want) {
		t.Fatalf("alice got %q", got)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("frame %d = %s, want it to contain %s", i, got[i], want[i])
		}
	}
	if got := frames(bob); len(got) != 1 || !strings.Contains(got[0], `"user":"bob"`) {
		t.Errorf("bob got %q, want only his own join", got)
	}
	if n := h.rooms.count(); n != 0 {
		t.Errorf("%d rooms left after everyone left", n)
	}
}

func TestSayRefusals(t *testing.T) {
	h := newTestHub(t, newMemory(), NewULIDs())
	for _, tc := range []struct {
		name string
		m    Content
		want error
	}{
		{"text over the limit", Content{Text: "123456789"}, ErrTextTooLong},
		{"text at the limit", Content{Text: "12345678"}, nil},
		{"data over the limit", Content{Data: []byte(`"1234567"`)}, ErrMessageTooLong},
		{"text and data over the limit", Content{Text: "1234", Data: []byte(`[1,2]`)}, ErrMessageTooLong},
		{"text and data at the limit", Content{Text: "123", Data: []byte(`[1,2]`)}, nil},
	} {
		if _, err := h.Say(t.Context(), "u", Said{Room: "r", Content: tc.m}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	var perr *protocol.Error
	if _, err := newTestHub(t, failingBus{newMemory()}, NewULIDs()).Say(t.Context(), "u", text("r", "hi")); err == nil || errors.As(err, &perr) {
		t.Errorf("a failed publish gives %v; want an error that is not the client's fault", err)
	}
}

// A join whose presence write fails leaves no membership behind.
func TestJoinFailureLeavesNothing(t *testing.T) {
	tracker := presence.NewTracker(presence.NewMemory(time.Minute), time.Minute, discard)
	if err := tracker.Stop(t.Context()); err != nil { // a stopped tracker refuses joins
		t.Fatal(err)
	}
	h := newHub(newMemory(), tracker, NewULIDs(), Limits{MaxMessageBytes: 8}, discard)
	if _, err := h.Join(t.Context(), Client{Room: "r", User: "u", Member: &member{}}); err == nil {
		t.Fatal("join succeeded with presence refusing it")
	}
	if n := h.rooms.count(); n != 0 {
		t.Fatalf("%d rooms after a failed join", n)
	}
}

// batchingLog is the memory bus, recording each batch appended.
type batchingLog struct {
	*bus.Memory
	batches [][]string
}

func (l *batchingLog) Append(ctx context.Context, drafts []bus.Draft) ([]string, []error) {
	ids, errs := l.Memory.Append(ctx, drafts)
	l.batches = append(l.batches, ids)
	return ids, errs
}

// SayAll appends a client's messages in one batch, in order, and answers
// each refused one in its place.
func TestSayAllBatchesInOrder(t *testing.T) {
	log := &batchingLog{Memory: newMemory()}
	tracker := presence.NewTracker(presence.NewMemory(time.Minute), time.Minute, discard)
	h := newHub(log, tracker, NewULIDs(), Limits{MaxMessageBytes: 8}, discard)
	alice := &member{}
	c := Client{Room: "r", User: "alice", Member: alice}
	if _, err := h.Join(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	ps, errs := h.SayAll(t.Context(), "alice", []Said{text("r", "one"), text("r", "too long"+"!"), text("r", "two"), text("r", "three")})
	if errs[0] != nil || !errors.Is(errs[1], ErrTextTooLong) || errs[2] != nil || errs[3] != nil {
		t.Fatalf("errors %v", errs)
	}
	if len(log.batches) != 1 || len(log.batches[0]) != 3 || !slices.IsSorted(log.batches[0]) {
		t.Fatalf("batches %v, want one of three increasing ids", log.batches)
	}
	if ps[0].ID != log.batches[0][0] || ps[3].ID != log.batches[0][2] || ps[1].ID != "" {
		t.Fatalf("published %v, want the ids of the batch in place", ps)
	}
	got := frames(alice)
	for i, text := range []string{"one", "two", "three"} {
		if !strings.Contains(got[1+i], `"text":"`+text+`","id":"`+log.batches[0][i]+`"`) {
			t.Fatalf("frame %d = %s, want %s with id %s", 1+i, got[1+i], text, log.batches[0][i])
		}
	}
}
