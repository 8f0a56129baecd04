package redisbus

import (
	"sync/atomic"
	"testing"
	"time"
)

// A burst of triggers calls f once; after stop, nothing calls it.
func TestDebounce(t *testing.T) {
	var calls atomic.Int32
	d := newDebounce(time.Hour, 20*time.Millisecond, func() { calls.Add(1) })
	for range 100 {
		d.trigger()
	}
	eventually(t, 5*time.Second, "the burst's call", func() bool { return calls.Load() == 1 })
	d.trigger()
	eventually(t, 5*time.Second, "the next burst's call", func() bool { return calls.Load() == 2 })
	d.trigger()
	d.stop()
	d.trigger()
	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2: a call after stop", n)
	}
}
