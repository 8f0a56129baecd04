package hub

import (
	"errors"
	"strings"
	"testing"

	"github.com/rtserver/rt/modules/bus"
)

// The server API publishes exactly like a client: the same frame, the same
// history, the same limit on text; bad input is the caller's fault.
func TestPublish(t *testing.T) {
	b := newMemory()
	h := newHistoryHub(b)
	m := &member{}
	if _, err := h.Join(t.Context(), Client{Room: "r", User: "alice", Member: m}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, room, user, text string
		want                   error
	}{
		{"bad room", "bad room", "bot", "hi", ErrBadRoom},
		{"no user", "r", "", "hi", ErrBadUser},
		{"control character in user", "r", "b\not", "hi", ErrBadUser},
		{"user too long", "r", strings.Repeat("u", 257), "hi", ErrBadUser},
		{"no text", "r", "bot", "", ErrNoText},
		{"invalid UTF-8", "r", "bot", "\xff", ErrNoText},
		{"text too long", "r", "bot", strings.Repeat("x", 4097), ErrTextTooLong},
	} {
		if _, err := h.Publish(t.Context(), tc.room, tc.user, Content{Text: tc.text}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	p, err := h.Publish(t.Context(), "r", "system", Content{Text: "order shipped"})
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := chatIDs(t, m)
	if len(ids) != 1 || ids[0] != p.ID || p.TS == 0 {
		t.Fatalf("published %+v, member got %v", p, ids)
	}
	page, _, _ := h.bus.Before(t.Context(), "r", "", 10)
	if len(page) != 1 || page[0].ID != p.ID || !strings.Contains(string(page[0].Frame), `"user":"system","text":"order shipped"`) {
		t.Fatalf("history %v", page)
	}
}

// A disconnect travels on the bus to every node's transport; bad input is
// refused before it does.
func TestDisconnect(t *testing.T) {
	b := newMemory()
	h := newHistoryHub(b)
	h.listen(t.Context())
	defer h.stopListening()
	type call struct{ user, room, reason string }
	var got []call
	h.OnDisconnect(func(user, room, reason string) int { got = append(got, call{user, room, reason}); return 1 })
	for _, tc := range []struct {
		name, user, room, reason string
		want                     error
	}{
		{"no user", "", "", "", ErrBadUser},
		{"bad room", "u", "no room", "", ErrBadRoom},
		{"reason too long", "u", "", strings.Repeat("r", 124), ErrBadReason},
		{"reason not UTF-8", "u", "", "\xff", ErrBadReason},
	} {
		if err := h.Disconnect(t.Context(), tc.user, tc.room, tc.reason); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if len(got) != 0 {
		t.Fatalf("refused disconnects reached the transport: %v", got)
	}
	if err := h.Disconnect(t.Context(), "mallory", "", "spam"); err != nil {
		t.Fatal(err)
	}
	if err := h.Disconnect(t.Context(), "eve", "r", strings.Repeat("r", 123)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (call{"mallory", "", "spam"}) || got[1].room != "r" {
		t.Fatalf("transport got %v", got)
	}
	// Anything else on the control room is dropped.
	if err := b.Publish(t.Context(), bus.Message{Room: controlRoom, Frame: []byte(`{"type":"shutdown"}`)}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("a message that is no command reached the transport: %v", got)
	}
}
