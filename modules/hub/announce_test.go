package hub

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
)

// published records what an announcer publishes.
type published struct {
	mu     sync.Mutex
	frames []string
	got    chan struct{}
}

func newPublished() *published { return &published{got: make(chan struct{}, 64)} }

func (p *published) publish(_ context.Context, m bus.Message) error {
	p.mu.Lock()
	p.frames = append(p.frames, string(m.Frame))
	p.mu.Unlock()
	p.got <- struct{}{}
	return nil
}

func (p *published) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.frames...)
}

// wait waits for the next publish; the bound is a hang guard only.
func (p *published) wait(t *testing.T) {
	t.Helper()
	select {
	case <-p.got:
	case <-time.After(5 * time.Second):
		t.Fatalf("nothing published; so far %q", p.all())
	}
}

func noFailure(t *testing.T) func(string, error) {
	return func(room string, err error) { t.Errorf("announce %s: %v", room, err) }
}

// A change in a quiet room goes out at once, as SPEC's single-change frame;
// the changes within the following window go out together as one diff.
func TestAnnouncerCoalescesAWindow(t *testing.T) {
	p := newPublished()
	a := newAnnouncer(p.publish, noFailure(t))
	a.change("r", "first", true)
	if got := p.all(); len(got) != 1 || !strings.Contains(got[0], `"type":"presence.join","room":"r","user":"first"`) {
		t.Fatalf("first change: %q", got)
	}
	for _, u := range []string{"c", "a", "b"} {
		a.change("r", u, true)
	}
	a.change("r", "first", false)
	a.change("other", "x", true) // another room has its own window
	p.wait(t)
	p.wait(t)
	p.wait(t)
	got := p.all()
	if len(got) != 3 {
		t.Fatalf("published %q", got)
	}
	want := `{"type":"presence.diff","room":"r","joins":["a","b","c"],"leaves":["first"],"ts":`
	if !containsPrefix(got, want) {
		t.Fatalf("no coalesced diff %s in %q", want, got)
	}
}

// Joining and leaving within one window says nothing at all.
func TestAnnouncerCancelsOutAJoinAndLeave(t *testing.T) {
	p := newPublished()
	a := newAnnouncer(p.publish, noFailure(t))
	a.change("r", "first", true)
	p.wait(t)
	a.change("r", "flicker", true)
	a.change("r", "flicker", false)
	a.change("r", "stays", true)
	p.wait(t)
	got := p.all()
	if len(got) != 2 || !strings.Contains(got[1], `"type":"presence.join","room":"r","user":"stays"`) {
		t.Fatalf("published %q", got)
	}
}

// Stop announces what is pending at once and nothing is scheduled after it.
func TestAnnouncerStopFlushes(t *testing.T) {
	p := newPublished()
	a := newAnnouncer(p.publish, noFailure(t))
	a.change("r", "first", true)
	a.change("r", "second", false)
	a.stop()
	got := p.all()
	if len(got) != 2 || !strings.Contains(got[1], `"type":"presence.leave","room":"r","user":"second"`) {
		t.Fatalf("published %q", got)
	}
	a.change("r", "late", true)
	time.Sleep(2 * announceWindow)
	if n := len(p.all()); n != 3 {
		t.Fatalf("after stop: %d published, want the late change alone, at once", n)
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
