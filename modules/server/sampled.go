package server

import (
	"sync"
	"time"
)

// refusalLinesPerSecond is how many access lines one kind of refusal (a
// status and reason) gets per second. A flood of refused requests would
// otherwise write a line each, thousands a second, and fill the disk; past
// this many, the refusals of the second are only counted, and one line
// says how many were left out.
const refusalLinesPerSecond = 10

// maxRefusalKinds bounds the sampler's map. Reasons are the server's own
// codes, a few dozen at most; should more appear, they share one entry.
const maxRefusalKinds = 256

// refusalKind is what refusals are sampled by.
type refusalKind struct {
	status int
	reason string
}

// refusalWindow is one kind's current second.
type refusalWindow struct {
	start      time.Time
	logged     int // lines written in this window
	suppressed int // lines left out in this window, not yet reported
}

// sampler decides which refusals get an access line: the first
// refusalLinesPerSecond of each kind in each one-second window. When a
// window has left lines out, report is called once for it, at its end
// (from a timer) or at the next refusal of that kind, whichever comes first.
type sampler struct {
	perWindow int
	window    time.Duration
	now       func() time.Time
	after     func(time.Duration, func()) // time.AfterFunc, without the timer
	report    func(k refusalKind, suppressed int)

	mu    sync.Mutex
	kinds map[refusalKind]*refusalWindow
}

func newSampler(report func(refusalKind, int)) *sampler {
	return &sampler{
		perWindow: refusalLinesPerSecond, window: time.Second, now: time.Now,
		after:  func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		report: report, kinds: make(map[refusalKind]*refusalWindow),
	}
}

// admit reports whether a refusal of kind k may have its line now; if not,
// it is counted toward its window's report.
func (s *sampler) admit(k refusalKind) bool {
	now := s.now()
	s.mu.Lock()
	w := s.windowOf(&k)
	var due int
	if now.Sub(w.start) >= s.window {
		due = w.suppressed
		*w = refusalWindow{start: now}
	}
	ok := w.logged < s.perWindow
	if ok {
		w.logged++
	} else if w.suppressed++; w.suppressed == 1 {
		end := w.start.Add(s.window)
		s.after(end.Sub(now), func() { s.flush(k, end) })
	}
	s.mu.Unlock()
	if due > 0 {
		s.report(k, due)
	}
	return ok
}

// flush reports the lines left out in the window of k ending at end, if
// admit has not already done so.
func (s *sampler) flush(k refusalKind, end time.Time) {
	s.mu.Lock()
	w := s.kinds[k]
	var due int
	if w != nil && w.start.Add(s.window).Equal(end) {
		due, w.suppressed = w.suppressed, 0
	}
	s.mu.Unlock()
	if due > 0 {
		s.report(k, due)
	}
}

// windowOf finds or makes k's window; past maxRefusalKinds a new kind is
// filed under its status alone. Called with mu held.
func (s *sampler) windowOf(k *refusalKind) *refusalWindow {
	if w, ok := s.kinds[*k]; ok {
		return w
	}
	if len(s.kinds) >= maxRefusalKinds {
		k.reason = "other"
		if w, ok := s.kinds[*k]; ok {
			return w
		}
	}
	w := &refusalWindow{}
	s.kinds[*k] = w
	return w
}
