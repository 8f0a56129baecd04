package history

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"rt/modules/bus"
)

// wantIncreasing checks that the ids of room's messages in ss strictly
// increase.
func wantIncreasing(t testing.TB, room string, ss []sent) {
	t.Helper()
	last := ""
	for i, s := range ss {
		if s.room != room {
			continue
		}
		if s.id <= last {
			t.Fatalf("room %s: message %d got id %s, not above %s", room, i, s.id, last)
		}
		last = s.id
	}
}

func inRoom(ss []sent, room string) []sent {
	var out []sent
	for _, s := range ss {
		if s.room == room {
			out = append(out, s)
		}
	}
	return out
}

func ids(ss []sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.id
	}
	return out
}

func entryIDs(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// wantEntries checks that es are exactly want, frames included.
func wantEntries(t testing.TB, what string, es []Entry, want []sent) {
	t.Helper()
	if !slices.Equal(entryIDs(es), ids(want)) {
		t.Fatalf("%s: ids\n got %q\nwant %q", what, entryIDs(es), ids(want))
	}
	for i, e := range es {
		if f := want[i].frame(want[i].id); !bytes.Equal(e.Frame, f) {
			t.Fatalf("%s: entry %d frame\n got %s\nwant %s", what, i, e.Frame, f)
		}
	}
}

// wantPublished checks that the bus delivered exactly want, in order: same
// room, id, At and frame bytes.
func wantPublished(t testing.TB, what string, got []bus.Message, want []sent) {
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
		if m.Room != w.room || m.At != w.at || !bytes.Equal(m.Frame, w.frame(w.id)) {
			t.Fatalf("%s: published message %d = {%s %s %d %s}, want {%s %s %d %s}",
				what, i, m.Room, m.ID, m.At, m.Frame, w.room, w.id, w.at, w.frame(w.id))
		}
	}
}

// wantAfter checks After(room, since) against held, the room's messages
// history must hold (the newest size at most), oldest first: the messages
// after since, at most size of them, the newest; complete exactly when
// since is held and fewer than size follow it. When exactly size follow
// it, since is the size+1th newest or older: a store may still hold it or
// not (Redis trims with MAXLEN ~), so complete may be either, and either is
// right, as no message after since is left out.
func wantAfter(t testing.TB, l Log, room, since string, held []sent, size int) {
	t.Helper()
	es, complete, err := l.After(t.Context(), room, since)
	if err != nil {
		t.Fatalf("After(%s, %s): %v", room, since, err)
	}
	var after []sent
	isHeld := false
	for _, s := range held {
		if s.id > since {
			after = append(after, s)
		}
		isHeld = isHeld || s.id == since
	}
	want, wantComplete := after, isHeld && len(after) < size
	if len(after) > size {
		want = after[len(after)-size:]
	}
	what := fmt.Sprintf("After(%s, %s)", room, since)
	wantEntries(t, what, es, want)
	if len(after) == size && size > 0 {
		return
	}
	if complete != wantComplete {
		t.Fatalf("%s: complete = %v, want %v (%d held, %d after since, size %d)",
			what, complete, wantComplete, len(held), len(after), size)
	}
}

// wantBefore checks one Before call against held, the room's messages
// oldest first.
func wantBefore(t testing.TB, l Log, room, before string, limit int, held []sent) {
	t.Helper()
	es, more, err := l.Before(t.Context(), room, before, limit)
	if err != nil {
		t.Fatalf("Before(%s, %q, %d): %v", room, before, limit, err)
	}
	var older []sent
	for _, s := range held {
		if before == "" || s.id < before {
			older = append(older, s)
		}
	}
	want := older[max(0, len(older)-limit):]
	what := fmt.Sprintf("Before(%s, %q, %d)", room, before, limit)
	wantEntries(t, what, es, want)
	if wantMore := len(older) > limit; more != wantMore {
		t.Fatalf("%s: more = %v, want %v", what, more, wantMore)
	}
}

// pageBack reads room from the newest back with Before(limit) until more
// is false, checking every page, and returns every entry read, oldest
// first.
func pageBack(t testing.TB, l Log, room string, limit int) []Entry {
	t.Helper()
	var pages [][]Entry
	before := ""
	for {
		es, more, err := l.Before(t.Context(), room, before, limit)
		if err != nil {
			t.Fatalf("Before(%s, %q, %d): %v", room, before, limit, err)
		}
		if len(es) > limit || (more && len(es) != limit) {
			t.Fatalf("Before(%s, %q, %d) = %d entries, more %v", room, before, limit, len(es), more)
		}
		for i := 1; i < len(es); i++ {
			if es[i-1].ID >= es[i].ID {
				t.Fatalf("Before(%s, %q, %d): page not oldest first: %q", room, before, limit, entryIDs(es))
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
	var all []Entry
	for i := len(pages) - 1; i >= 0; i-- {
		all = append(all, pages[i]...)
	}
	return all
}
