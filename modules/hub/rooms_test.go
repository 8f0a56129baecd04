package hub

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestPublishReachesEveryMemberOfTheRoomOnly(t *testing.T) {
	mgr := New(newCountingBus())
	a1, a2, a3, b1 := &member{}, &member{}, &member{}, &member{}
	for _, m := range []*member{a1, a2, a3} {
		join(t, mgr, "a", m)
	}
	join(t, mgr, "b", b1)
	join(t, mgr, "a1", &member{}) // a name sharing a prefix gets nothing of "a"

	frame := []byte(`{"type":"chat.delivery","room":"a","text":"hi"}`)
	publish(t, mgr, "a", frame)
	for i, m := range []*member{a1, a2, a3} {
		got := m.got()
		if len(got) != 1 || string(got[0]) != string(frame) {
			t.Fatalf("member %d of a got %q, want exactly %q", i, m.strings(), frame)
		}
		if &got[0][0] != &frame[0] {
			t.Errorf("member %d got a copy of the frame; every member must share the encoded bytes", i)
		}
	}
	if got := b1.strings(); len(got) != 0 {
		t.Errorf("member of b got %q from a", got)
	}
}

func TestLeaveStopsDelivery(t *testing.T) {
	mgr := New(newCountingBus())
	stays, goes := &member{}, &member{}
	join(t, mgr, "r", stays)
	join(t, mgr, "r", goes)
	publish(t, mgr, "r", []byte("one"))
	mgr.Leave("r", goes)
	mgr.Leave("r", goes) // a second leave is harmless
	publish(t, mgr, "r", []byte("two"))
	if got := goes.strings(); !slices.Equal(got, []string{"one"}) {
		t.Errorf("left member got %q, want [one]", got)
	}
	if got := stays.strings(); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("remaining member got %q, want [one two]", got)
	}
}

func TestCountAndMembers(t *testing.T) {
	mgr := New(newCountingBus())
	x, y, z := &member{}, &member{}, &member{}
	steps := []struct {
		name       string
		do         func()
		count      int
		ra, rb, rc int // Members of "ra", "rb", "rc"
	}{
		{"empty", func() {}, 0, 0, 0, 0},
		{"x joins ra", func() { join(t, mgr, "ra", x) }, 1, 1, 0, 0},
		{"y joins ra", func() { join(t, mgr, "ra", y) }, 1, 2, 0, 0},
		{"z joins rb", func() { join(t, mgr, "rb", z) }, 2, 2, 1, 0},
		{"x joins rb too", func() { join(t, mgr, "rb", x) }, 2, 2, 2, 0},
		{"x rejoins ra", func() { join(t, mgr, "ra", x) }, 2, 2, 2, 0},
		{"stranger leaves rc", func() { mgr.Leave("rc", &member{}) }, 2, 2, 2, 0},
		{"stranger leaves ra", func() { mgr.Leave("ra", &member{}) }, 2, 2, 2, 0},
		{"x leaves ra", func() { mgr.Leave("ra", x) }, 2, 1, 2, 0},
		{"y leaves ra", func() { mgr.Leave("ra", y) }, 1, 0, 2, 0},
		{"z leaves rb", func() { mgr.Leave("rb", z) }, 1, 0, 1, 0},
		{"x leaves rb", func() { mgr.Leave("rb", x) }, 0, 0, 0, 0},
	}
	for _, s := range steps {
		s.do()
		got := []int{mgr.Count(), mgr.Members("ra"), mgr.Members("rb"), mgr.Members("rc")}
		if want := []int{s.count, s.ra, s.rb, s.rc}; !slices.Equal(got, want) {
			t.Fatalf("after %q: Count, Members(ra, rb, rc) = %v, want %v", s.name, got, want)
		}
	}
}

func TestSubscriptionFollowsMembers(t *testing.T) {
	b := newCountingBus()
	mgr := New(b)
	m1, m2 := &member{}, &member{}
	want := func(step string, active int, calls int64) {
		t.Helper()
		if got := b.activeIn("r"); got != active {
			t.Fatalf("%s: %d active subscriptions of r, want %d", step, got, active)
		}
		if got := b.subscribe.Load(); got != calls {
			t.Fatalf("%s: %d Subscribe calls, want %d", step, got, calls)
		}
	}
	want("before any join", 0, 0)
	join(t, mgr, "r", m1)
	want("first join", 1, 1)
	join(t, mgr, "r", m2)
	want("second join", 1, 1)
	mgr.Leave("r", m1)
	want("one of two left", 1, 1)
	mgr.Leave("r", m2)
	want("last left", 0, 1)
	join(t, mgr, "r", m1)
	want("rejoin", 1, 2)
	mgr.Leave("r", m1)
	want("left again", 0, 2)
}

func TestJoinLeaveStorm(t *testing.T) {
	b := newCountingBus()
	mgr := New(b)
	rooms := []string{"hot", "warm"}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 32 {
		wg.Go(func() {
			<-start
			m := &member{}
			for i := range 200 {
				room := rooms[(g+i)%len(rooms)]
				if err := mgr.Join(t.Context(), room, m); err != nil {
					t.Errorf("Join: %v", err)
					return
				}
				if i%3 == 0 {
					_ = mgr.Publish(t.Context(), room, []byte("x"))
				}
				mgr.Leave(room, m)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := mgr.Count(); n != 0 {
		t.Errorf("Count() = %d after every member left, want 0", n)
	}
	if n := b.totalActive(); n != 0 {
		t.Errorf("%d bus subscriptions still active after every member left", n)
	}
	for _, room := range rooms {
		if n := b.maxIn(room); n != 1 {
			t.Errorf("room %q had up to %d overlapping bus subscriptions, want exactly 1", room, n)
		}
		if n := mgr.Members(room); n != 0 {
			t.Errorf("Members(%q) = %d, want 0", room, n)
		}
	}
}

// Members that stay joined get every frame; members that come and go get
// only frames that were published, each whole, and nothing panics.
func TestPublishWhileJoining(t *testing.T) {
	mgr := New(newCountingBus())
	steady := &member{}
	join(t, mgr, "live", steady)
	const frames = 500
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var churners []*member
	for range 8 {
		m := &member{}
		churners = append(churners, m)
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := mgr.Join(t.Context(), "live", m); err != nil {
					t.Errorf("Join: %v", err)
					return
				}
				mgr.Leave("live", m)
			}
		})
	}
	var want []string
	for i := range frames {
		f := fmt.Sprintf("frame-%d", i)
		want = append(want, f)
		publish(t, mgr, "live", []byte(f))
	}
	close(stop)
	wg.Wait()
	if got := steady.strings(); !slices.Equal(got, want) {
		t.Errorf("steady member got %d frames, want all %d in order", len(got), frames)
	}
	for i, m := range churners {
		for _, f := range m.strings() {
			if !slices.Contains(want, f) {
				t.Errorf("churning member %d got %q, which was never published", i, f)
			}
		}
	}
	if n := mgr.Members("live"); n != 1 {
		t.Errorf("Members(live) = %d, want 1", n)
	}
}
