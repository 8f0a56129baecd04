package presence_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/metrics/metricstest"
	"github.com/rtserver/rt/modules/presence"
	"github.com/rtserver/rt/modules/presence/presencetest"
)

func TestTrackerMemory(t *testing.T) { testTracker(t, presence.NewMemory(presencetest.ShortTTL)) }

// testTracker: entries outlive the ttl while the tracker refreshes them, and
// Stop takes them all away (TestMain checks the loop has ended too).
func testTracker(t *testing.T, s presence.Store) {
	tr := presence.NewTracker(s, presencetest.ShortTTL, discardLog)
	tr.Start()
	tabs := []presence.Entry{entry("t1", "u1", "c1"), entry("t1", "u1", "c2"), entry("t2", "u1", "c3"), entry("t2", "u2", "c4")}
	presencetest.WantJoin(t, tr, tabs[0], presence.RoomEdge) // the tracker passes the store's edges on
	presencetest.WantJoin(t, tr, tabs[1], presence.NoEdge)
	presencetest.WantJoinAll(t, tr, tabs[2:], presence.RoomEdge, presence.UserEdge) // tracked and refreshed like the others
	presencetest.WantJoinAll(t, tr, nil)
	time.Sleep(3 * presencetest.ShortTTL) // real time: the store's clock is not faked here
	presencetest.WantUsers(t, tr, "t1", "u1")
	presencetest.WantUsers(t, tr, "t2", "u1", "u2")
	presencetest.WantLeave(t, tr, tabs[3], presence.UserEdge) // refreshed, so u1 is still there
	presencetest.WantLeaveAll(t, tr, tabs[2:3], presence.RoomEdge)
	presencetest.WantLeaveAll(t, tr, nil)
	if err := tr.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	presencetest.WantUsers(t, s, "t1")
	presencetest.WantUsers(t, s, "t2")
	if _, err := tr.Join(t.Context(), tabs[0]); !errors.Is(err, presence.ErrStopped) {
		t.Fatalf("Join after Stop: err = %v, want presence.ErrStopped", err)
	}
	if _, err := tr.JoinAll(t.Context(), tabs); !errors.Is(err, presence.ErrStopped) {
		t.Fatalf("JoinAll after Stop: err = %v, want presence.ErrStopped", err)
	}
}

// A failing refresh is logged and the loop keeps going.
func TestTrackerRefreshFailureIsLoggedAndCounted(t *testing.T) {
	fs := &fakeStore{Store: presence.NewMemory(presencetest.LongTTL), refreshErr: errors.New("boom")}
	var logs syncBuffer
	tr := presence.NewTracker(fs, 30*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	tr.Start()
	defer tr.Stop(t.Context())
	presencetest.WantJoin(t, tr, entry("r", "u", "c"), presence.RoomEdge)
	deadline := time.Now().Add(10 * time.Second)
	for fs.refreshCount() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("refreshes = %d, want the loop to keep trying", fs.refreshCount())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "presence refresh failed") || !strings.Contains(logs.String(), "boom") {
		t.Fatalf("log = %q, want the refresh failure", logs.String())
	}
	// The third refresh has begun, so the first two have been counted.
	if got := metricstest.Gather(t, tr.Collectors()...).Value("rt_presence_refresh_failures_total"); got < 2 {
		t.Errorf("rt_presence_refresh_failures_total = %v, want at least 2", got)
	}
}

// A failed Join or JoinAll is not tracked: nothing refreshes it and Stop
// does not leave it, so a caller that drops the connection leaks nothing.
// Readiness fails until a write goes through.
func TestTrackerJoinErrorNotTracked(t *testing.T) {
	fs := &fakeStore{Store: presence.NewMemory(presencetest.LongTTL), joinErr: errors.New("down")}
	tr := presence.NewTracker(fs, presencetest.LongTTL, discardLog)
	if _, err := tr.Join(t.Context(), entry("r", "u", "c")); err == nil {
		t.Fatal("Join: want the store's error")
	}
	batch := []presence.Entry{entry("r1", "u", "c"), entry("r2", "u", "c")}
	if edges, err := tr.JoinAll(t.Context(), batch); err == nil || edges != nil {
		t.Fatalf("JoinAll = %v, %v; want no edges and the store's error", edges, err)
	}
	if err := tr.Ready(t.Context()); err == nil {
		t.Fatal("Ready after failed joins: want an error")
	}
	if err := tr.Stop(t.Context()); err != nil { // Stop without Start is fine too
		t.Fatal(err)
	}
	if n := len(fs.leaves); n != 0 {
		t.Fatalf("Stop left %d entries, want 0", n)
	}
}

// A Leave during a refresh waits for it, so the refresh cannot re-add the
// entry after the Leave removed it.
func TestTrackerLeaveWaitsForRefresh(t *testing.T) {
	fs := &fakeStore{Store: presence.NewMemory(presencetest.LongTTL), started: make(chan struct{}), release: make(chan struct{})}
	tr := presence.NewTracker(fs, 30*time.Millisecond, discardLog)
	e := entry("r", "u", "c")
	presencetest.WantJoin(t, tr, e, presence.RoomEdge)
	tr.Start()
	defer tr.Stop(t.Context())
	release := sync.OnceFunc(func() { close(fs.release) })
	defer release() // before Stop, which would wait for a stalled refresh
	<-fs.started    // the refresh has begun and now stalls
	left := make(chan struct{})
	go func() { tr.Leave(t.Context(), e); close(left) }()
	time.Sleep(20 * time.Millisecond) // give a wrong Leave the chance to overtake
	select {
	case <-left:
		t.Fatal("Leave finished while a refresh of its entry was in flight")
	default:
	}
	release()
	<-left
	presencetest.WantUsers(t, fs, "r")
}

// fakeStore wraps a real store to fail or stall on demand.
type fakeStore struct {
	presence.Store
	joinErr, refreshErr error
	started, release    chan struct{} // if set, the first Refresh closes started and waits for release

	mu        sync.Mutex
	refreshes int
	leaves    []presence.Entry
}

func (f *fakeStore) Join(ctx context.Context, e presence.Entry) (presence.Edge, error) {
	if f.joinErr != nil {
		return presence.NoEdge, f.joinErr
	}
	return f.Store.Join(ctx, e)
}

func (f *fakeStore) JoinAll(ctx context.Context, entries []presence.Entry) ([]presence.Edge, error) {
	if f.joinErr != nil {
		return nil, f.joinErr
	}
	return f.Store.JoinAll(ctx, entries)
}

func (f *fakeStore) Leave(ctx context.Context, e presence.Entry) (presence.Edge, error) {
	f.mu.Lock()
	f.leaves = append(f.leaves, e)
	f.mu.Unlock()
	return f.Store.Leave(ctx, e)
}

func (f *fakeStore) Refresh(ctx context.Context, entries []presence.Entry) error {
	f.mu.Lock()
	f.refreshes++
	n := f.refreshes
	f.mu.Unlock()
	if f.started != nil && n == 1 {
		close(f.started)
		<-f.release
	}
	if f.refreshErr != nil {
		return f.refreshErr
	}
	return f.Store.Refresh(ctx, entries)
}

func (f *fakeStore) refreshCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes
}

// syncBuffer lets the refresh goroutine log while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
