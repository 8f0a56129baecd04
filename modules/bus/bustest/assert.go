package bustest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/rtserver/rt/modules/bus"
)

// WantIncreasing checks that the ids of room's messages in ss strictly
// increase.
func WantIncreasing(t testing.TB, room string, ss []Sent) {
	t.Helper()
	last := ""
	for i, s := range ss {
		if s.Room != room {
			continue
		}
		if s.ID <= last {
			t.Fatalf("room %s: message %d got id %s, not above %s", room, i, s.ID, last)
		}
		last = s.ID
	}
}

func inRoom(ss []Sent, room string) []Sent {
	var out []Sent
	for _, s := range ss {
		if s.Room == room {
			out = append(out, s)
		}
	}
	return out
}

func ids(ss []Sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// EntryIDs returns the ids of es, in order.
func EntryIDs(es []bus.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// WantEntries checks that es are exactly want, frames included.
func WantEntries(t testing.TB, what string, es []bus.Entry, want []Sent) {
	t.Helper()
	if !slices.Equal(EntryIDs(es), ids(want)) {
		t.Fatalf("%s: ids\n got %q\nwant %q", what, EntryIDs(es), ids(want))
	}
	for i, e := range es {
		if f := want[i].Frame(want[i].ID); !bytes.Equal(e.Frame, f) {
			t.Fatalf("%s: entry %d frame\n got %s\nwant %s", what, i, e.Frame, f)
		}
	}
}

// WantPublished checks that the bus delivered exactly want, in order: same
// room, id, At and frame bytes.
func WantPublished(t testing.TB, what string, got []bus.Message, want []Sent) {
	t.Helper()
	gotIDs := make([]string, len(got))
	for i, m := range got {
		gotIDs[i] = m.ID
	}
	if !slices.Equal(gotIDs, ids(want)) {
		t.Fatalf("%s: published ids\n got %q\nwant %q", what, gotIDs, ids(want))
	}
	for i, m := range got {
		w := want[i]
		if m.Room != w.Room || m.At != w.At || !bytes.Equal(m.Frame, w.Frame(w.ID)) {
			t.Fatalf("%s: published message %d = {%s %s %d %s}, want {%s %s %d %s}",
				what, i, m.Room, m.ID, m.At, m.Frame, w.Room, w.ID, w.At, w.Frame(w.ID))
		}
	}
}

// WantAfter checks After(room, since) against held, the room's messages
// the bus must hold (the newest size at most), oldest first: the messages
// after since, at most size of them, the newest; complete exactly when
// since is held and fewer than size follow it. When exactly size follow
// it, since is the size+1th newest or older: a store may still hold it or
// not (Redis trims with MAXLEN ~), so complete may be either, and either is
// right, as no message after since is left out.
func WantAfter(t testing.TB, b bus.Bus, room, since string, held []Sent, size int) {
	t.Helper()
	es, complete, err := b.After(t.Context(), room, since)
	if err != nil {
		t.Fatalf("After(%s, %s): %v", room, since, err)
	}
	var after []Sent
	isHeld := false
	for _, s := range held {
		if s.ID > since {
			after = append(after, s)
		}
		isHeld = isHeld || s.ID == since
	}
	want, wantComplete := after, isHeld && len(after) < size
	if len(after) > size {
		want = after[len(after)-size:]
	}
	what := fmt.Sprintf("After(%s, %s)", room, since)
	WantEntries(t, what, es, want)
	if len(after) == size && size > 0 {
		return
	}
	if complete != wantComplete {
		t.Fatalf("%s: complete = %v, want %v (%d held, %d after since, size %d)",
			what, complete, wantComplete, len(held), len(after), size)
	}
}

// WantBefore checks one Before call against held, the room's messages
// oldest first.
func WantBefore(t testing.TB, b bus.Bus, room, before string, limit int, held []Sent) {
	t.Helper()
	es, more, err := b.Before(t.Context(), room, before, limit)
	if err != nil {
		t.Fatalf("Before(%s, %q, %d): %v", room, before, limit, err)
	}
	var older []Sent
	for _, s := range held {
		if before == "" || s.ID < before {
			older = append(older, s)
		}
	}
	want := older[max(0, len(older)-limit):]
	what := fmt.Sprintf("Before(%s, %q, %d)", room, before, limit)
	WantEntries(t, what, es, want)
	if wantMore := len(older) > limit; more != wantMore {
		t.Fatalf("%s: more = %v, want %v", what, more, wantMore)
	}
}

// PageBack reads room from the newest back with Before(limit) until more
// is false, checking every page, and returns every entry read, oldest
// first.
func PageBack(t testing.TB, b bus.Bus, room string, limit int) []bus.Entry {
	t.Helper()
	var pages [][]bus.Entry
	before := ""
	for {
		es, more, err := b.Before(t.Context(), room, before, limit)
		if err != nil {
			t.Fatalf("Before(%s, %q, %d): %v", room, before, limit, err)
		}
		if len(es) > limit || (more && len(es) != limit) {
			t.Fatalf("Before(%s, %q, %d) = %d entries, more %v", room, before, limit, len(es), more)
		}
		for i := 1; i < len(es); i++ {
			if es[i-1].ID >= es[i].ID {
				t.Fatalf("Before(%s, %q, %d): page not oldest first: %q", room, before, limit, EntryIDs(es))
			}
		}
		if before != "" && len(es) > 0 && es[len(es)-1].ID >= before {
			t.Fatalf("Before(%s, %q, %d) returned %s, not below before", room, before, limit, es[len(es)-1].ID)
		}
		pages = append(pages, es)
		if !more {
			break
		}
		if len(pages) > 10000 {
			t.Fatalf("Before(%s, .., %d): more never false", room, limit)
		}
		before = es[0].ID
	}
	var all []bus.Entry
	for i := len(pages) - 1; i >= 0; i-- {
		all = append(all, pages[i]...)
	}
	return all
}

// pageForward reads a room's history after from with Range, limit at a
// time, until a short page, the way a recovery does; it returns what it
// read and whether every page found the id it started after.
func pageForward(t testing.TB, b bus.Bus, room, from string, limit int) ([]bus.Entry, bool) {
	t.Helper()
	var all []bus.Entry
	everyHeld := true
	for {
		es, held, err := b.Range(t.Context(), room, from, limit)
		if err != nil {
			t.Fatalf("Range(%s, %q, %d): %v", room, from, limit, err)
		}
		if len(es) > limit {
			t.Fatalf("Range(%s, %q, %d) = %d entries", room, from, limit, len(es))
		}
		everyHeld = everyHeld && held
		all = append(all, es...)
		if len(es) < limit {
			return all, everyHeld
		}
		from = es[len(es)-1].ID
	}
}
