package hub

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
)

// unreadableLog is a link bus whose After never succeeds: it fails at once,
// or, when hang is set, blocks until its context ends. It counts the reads
// and the reads still running.
type unreadableLog struct {
	*linkBus
	hang    bool
	reads   atomic.Int64
	running atomic.Int64
}

func (u *unreadableLog) After(ctx context.Context, _, _ string) ([]bus.Entry, bool, error) {
	u.reads.Add(1)
	u.running.Add(1)
	defer u.running.Add(-1)
	if u.hang {
		<-ctx.Done()
		return nil, false, ctx.Err()
	}
	return nil, false, errors.New("history down")
}

// Stop ends a gap fill that is reading history or backing off between
// reads, at once rather than after its attempts run out, waits for it, and
// delivers nothing for it; a link that comes back after Stop starts none.
func TestStopEndsGapFills(t *testing.T) {
	for _, tc := range []struct {
		name string
		hang bool
	}{
		{"backing off between failed reads", false},
		{"in a read that hangs", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &unreadableLog{linkBus: newLinkBus(), hang: tc.hang}
			b := log.linkBus
			h := newHistoryHub(log)
			m := &member{}
			if _, err := h.Join(t.Context(), Client{Room: "r", User: "m", Member: m}); err != nil {
				t.Fatal(err)
			}
			b.lose()
			b.back()
			waitFor(t, "the fill's first read", func() bool { return log.reads.Load() >= 1 })
			before := len(m.got())

			start := time.Now()
			h.Stop()
			if took := time.Since(start); took > time.Second {
				t.Fatalf("Stop took %v; the fill was not cancelled", took)
			}
			if n := log.running.Load(); n != 0 {
				t.Fatalf("%d history reads still running after Stop", n)
			}
			reads := log.reads.Load()
			b.lose()
			b.back()
			time.Sleep(3 * fillBackoff.Min)
			if got := log.reads.Load(); got != reads {
				t.Fatalf("history read %d more times after Stop", got-reads)
			}
			if got := len(m.got()); got != before {
				t.Fatalf("member got %d frames after Stop", got-before)
			}
		})
	}
}

// waitFor polls cond; the bound is a hang guard, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
