package ws

import (
	"sync"
	"time"
)

// readClock is when a connection's reader stops waiting for the client:
// the idle deadline, or, once a close is decided, the close's grace.
// Moving it is a store under a lock; a single timer fires at the earliest
// the deadline could have passed and, finding it moved on, sleeps again
// until the new one. So a busy socket touches its timer about once per
// IDLE_TIMEOUT instead of once per frame, and an idle one never.
type readClock struct {
	mu      sync.Mutex
	at      time.Time   // the deadline
	armed   time.Time   // when the timer fires
	timer   *time.Timer // nil until start
	stopped bool
	expired func() // called on the timer's goroutine once the deadline has passed
}

// setLocked moves the deadline; mu is held. A deadline earlier than the
// timer's brings the timer forward.
func (k *readClock) setLocked(at time.Time) {
	k.at = at
	if k.timer != nil && !k.stopped && at.Before(k.armed) {
		k.armed = at
		k.timer.Reset(time.Until(at))
	}
}

// start arms the timer for the deadline set so far; expired is called
// once it has passed.
func (k *readClock) start(expired func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	k.expired, k.armed = expired, k.at
	k.timer = time.AfterFunc(time.Until(k.at), k.fire)
}

func (k *readClock) fire() {
	k.mu.Lock()
	if k.stopped {
		k.mu.Unlock()
		return
	}
	if wait := time.Until(k.at); wait > 0 {
		k.armed = k.at
		k.timer.Reset(wait)
		k.mu.Unlock()
		return
	}
	k.mu.Unlock()
	k.expired()
}

// passed reports whether the deadline has passed.
func (k *readClock) passed() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !time.Now().Before(k.at)
}

// stop stops the timer for good.
func (k *readClock) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	if k.timer != nil {
		k.timer.Stop()
	}
}
