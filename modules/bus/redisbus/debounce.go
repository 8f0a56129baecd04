package redisbus

import (
	"sync"
	"time"
)

// debounce calls f once per burst of triggers: when no trigger came for
// quiet, or most after the burst's first trigger, whichever is sooner. f
// runs on a timer's goroutine; after stop it is not called again.
type debounce struct {
	quiet, most time.Duration
	f           func()

	mu      sync.Mutex
	timer   *time.Timer // pending call of f; nil when none
	gen     int         // the pending timer's number: a timer replaced does nothing
	first   time.Time   // the burst's first trigger
	stopped bool
}

func newDebounce(quiet, most time.Duration, f func()) *debounce {
	return &debounce{quiet: quiet, most: most, f: f}
}

// trigger starts a burst or extends the current one. It never blocks on f.
func (d *debounce) trigger() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	now := time.Now()
	if d.timer != nil {
		wait := max(min(d.quiet, d.first.Add(d.most).Sub(now)), 0)
		if d.timer.Reset(wait) {
			return
		}
		// it fired and its call is waiting for mu: it has to do nothing,
		// and this trigger starts a burst of its own
	}
	d.first = now
	d.gen++
	gen := d.gen
	d.timer = time.AfterFunc(min(d.quiet, d.most), func() { d.fire(gen) })
}

func (d *debounce) fire(gen int) {
	d.mu.Lock()
	if d.stopped || gen != d.gen {
		d.mu.Unlock()
		return
	}
	d.timer = nil
	d.mu.Unlock()
	d.f()
}

// stop cancels a pending call; later triggers do nothing.
func (d *debounce) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}
