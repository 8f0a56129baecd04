package presence

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// parallel runs f(0..n-1) on n goroutines released together.
func parallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { <-start; errs[i] = f(i) })
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// members is what the assertions need; both Store and Tracker have it.
type members interface {
	Join(ctx context.Context, e Entry) (bool, error)
	Leave(ctx context.Context, e Entry) (bool, error)
	Users(ctx context.Context, room string) ([]string, error)
}

// advance moves a Memory's clock, and waits in real time for other stores.
func advance(s Store, d time.Duration) {
	m, ok := s.(*Memory)
	if !ok {
		time.Sleep(d)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now
	m.now = func() time.Time { return now().Add(d) }
}

func wantJoin(t *testing.T, s members, e Entry, want bool) {
	t.Helper()
	if got, err := s.Join(t.Context(), e); err != nil || got != want {
		t.Fatalf("Join(%+v) = %v, %v; want first = %v", e, got, err, want)
	}
}

func wantLeave(t *testing.T, s members, e Entry, want bool) {
	t.Helper()
	if got, err := s.Leave(t.Context(), e); err != nil || got != want {
		t.Fatalf("Leave(%+v) = %v, %v; want last = %v", e, got, err, want)
	}
}

func wantUsers(t *testing.T, s members, room string, want ...string) {
	t.Helper()
	got, err := s.Users(t.Context(), room)
	if err != nil || got == nil || !slices.Equal(got, want) {
		t.Fatalf("Users(%q) = %#v, %v; want %q", room, got, err, want)
	}
}

// discardLog is the logger of trackers whose log a test does not read.
var discardLog = slog.New(slog.DiscardHandler)
