package presencetest

import (
	"context"
	"slices"
	"testing"

	"github.com/rtserver/rt/modules/presence"
)

// The edges, short, so that a case's expectations read as a table.
const (
	noEdge   = presence.NoEdge
	userEdge = presence.UserEdge
	roomEdge = presence.RoomEdge
)

// Members is what the checks need; both a presence.Store and a
// presence.Tracker have it.
type Members interface {
	Join(ctx context.Context, e presence.Entry) (presence.Edge, error)
	Leave(ctx context.Context, e presence.Entry) (presence.Edge, error)
	Users(ctx context.Context, room string) ([]string, error)
}

// WantJoin joins e and checks the edge it reports.
func WantJoin(t testing.TB, s Members, e presence.Entry, want presence.Edge) {
	t.Helper()
	if got, err := s.Join(t.Context(), e); err != nil || got != want {
		t.Fatalf("Join(%+v) = %v, %v; want %v", e, got, err, want)
	}
}

// JoinAller is what WantJoinAll needs; both a presence.Store and a
// presence.Tracker have it.
type JoinAller interface {
	JoinAll(ctx context.Context, entries []presence.Entry) ([]presence.Edge, error)
}

// WantJoinAll joins entries in one batch and checks each entry's edge.
func WantJoinAll(t testing.TB, s JoinAller, entries []presence.Entry, want ...presence.Edge) {
	t.Helper()
	got, err := s.JoinAll(t.Context(), entries)
	if err != nil || len(got) != len(entries) || !slices.Equal(got, want) {
		t.Fatalf("JoinAll(%+v) = %v, %v; want %v", entries, got, err, want)
	}
}

// LeaveAller is what WantLeaveAll needs; both a presence.Store and a
// presence.Tracker have it.
type LeaveAller interface {
	LeaveAll(ctx context.Context, entries []presence.Entry) ([]presence.Edge, error)
}

// WantLeaveAll leaves entries in one batch and checks each entry's edge.
func WantLeaveAll(t testing.TB, s LeaveAller, entries []presence.Entry, want ...presence.Edge) {
	t.Helper()
	got, err := s.LeaveAll(t.Context(), entries)
	if err != nil || len(got) != len(entries) || !slices.Equal(got, want) {
		t.Fatalf("LeaveAll(%+v) = %v, %v; want %v", entries, got, err, want)
	}
}

// WantLeave leaves e and checks the edge it reports.
func WantLeave(t testing.TB, s Members, e presence.Entry, want presence.Edge) {
	t.Helper()
	if got, err := s.Leave(t.Context(), e); err != nil || got != want {
		t.Fatalf("Leave(%+v) = %v, %v; want %v", e, got, err, want)
	}
}

// WantUsers checks that room's users are exactly want, sorted, and never
// nil.
func WantUsers(t testing.TB, s Members, room string, want ...string) {
	t.Helper()
	got, err := s.Users(t.Context(), room)
	if err != nil || got == nil || !slices.Equal(got, want) {
		t.Fatalf("Users(%q) = %#v, %v; want %q", room, got, err, want)
	}
}

func entry(room, user, conn string) presence.Entry {
	return presence.Entry{Room: room, User: user, Conn: conn}
}
