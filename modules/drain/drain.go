// Package drain is what a node does between being told to stop and
// closing its sockets, so that a rolling deploy does not send every client
// of the node to the others in the same second. First the delay: /readyz
// answers 503 draining for DRAIN_DELAY while the node serves as before,
// new handshakes included, because a load balancer needs a few probes to
// notice; then the server stops accepting, and the sockets are closed
// over SHUTDOWN_SPREAD, evenly (Spread), so their clients come back at a
// steady rate. A second signal (Ctrl+C twice) skips what is left of both
// waits (Hurry).
//
// The package holds the state and the pacing; the ws module closes the
// sockets, health reads Draining, and modules/app turns a second signal
// into Hurry.
package drain

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtserver/rt/config"
)

// Drain is one node's drain: its two durations, whether it has begun,
// and whether it was told to hurry.
type Drain struct {
	delay  time.Duration
	spread time.Duration
	log    *slog.Logger

	begun     atomic.Bool
	hurry     chan struct{}
	hurryOnce sync.Once
}

// New is the drain cfg asks for: DRAIN_DELAY and SHUTDOWN_SPREAD, each
// none when zero (a Config built by hand).
func New(cfg config.Config, log *slog.Logger) *Drain {
	return &Drain{delay: max(cfg.DrainDelay, 0), spread: max(cfg.ShutdownSpread, 0), log: log, hurry: make(chan struct{})}
}

// Draining reports whether the node has begun to stop: /readyz then
// answers 503 draining.
func (d *Drain) Draining() bool { return d.begun.Load() }

// Hurry skips the rest of the drain's waits: the delay ends, and the
// sockets still open are closed at once. It may be called any time, more
// than once, before the drain too.
func (d *Drain) Hurry() {
	d.hurryOnce.Do(func() {
		close(d.hurry)
		d.log.Warn("stop asked again: skipping the rest of the drain; the sockets still open are closed at once")
	})
}

// hurried reports whether Hurry was called.
func (d *Drain) hurried() bool {
	select {
	case <-d.hurry:
		return true
	default:
		return false
	}
}

// Sockets counts the sockets a drain has to close (the ws module's
// registry), for the line that says the drain has begun.
type Sockets interface{ Len() int }

// Delay begins the drain: it marks the node draining, logs the one line
// that says what comes (the delay, the spread and how many sockets there
// are to close; no line for a stop at once, both zero), and waits for the
// delay, unless hurried or ctx ends first. The server is still accepting
// while it waits.
func (d *Drain) Delay(ctx context.Context, sockets int) {
	d.begun.Store(true)
	if d.delay > 0 || d.spread > 0 {
		d.log.Info("draining: /readyz answers 503 for the delay, then the sockets are closed over the spread",
			"delay", d.delay, "spread", d.spread, "sockets", sockets)
	}
	if d.delay <= 0 || d.hurried() {
		return
	}
	t := time.NewTimer(d.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.hurry:
	case <-ctx.Done():
	}
}
