// Package bustest is the contract every bus.Bus keeps, and the helpers
// its implementations' own tests share: a recorder of delivered messages,
// chat messages to append, and checks of what a bus stores and delivers.
//
// An implementation's test runs the contract with Run, giving it a fresh,
// empty bus for each case.
package bustest

import (
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
)

// WaitLimit bounds every wait for a delivered message; it guards against
// hangs only.
const WaitLimit = 15 * time.Second

// NewBus returns an empty bus with settings s, ready to use, that ends
// with the test.
type NewBus func(t *testing.T, s bus.Settings) bus.Bus

// Run is the contract of bus.Bus: the delivery of published and appended
// messages, and what After, Range and Before read back. newBus is called
// once per case, with the case's own settings. Their Now is a clock the
// case may move, to expire messages without waiting; it reads time.Now
// until then.
func Run(t *testing.T, newBus NewBus) {
	t.Run("PubSub", func(t *testing.T) { runPubSub(t, newBus) })
	t.Run("History", func(t *testing.T) { runHistory(t, newBus) })
}

// clock is a bus's clock that a case moves: time.Now until set.
type clock struct {
	mu sync.Mutex
	at func() time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	at := c.at
	c.mu.Unlock()
	if at == nil {
		return time.Now()
	}
	return at()
}

// set makes the clock read at.
func (c *clock) set(at func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = at
}

// start returns a new bus with settings s on a clock of its own.
func (newBus NewBus) start(t *testing.T, s bus.Settings) (bus.Bus, *clock) {
	c := &clock{}
	s.Now = c.now
	return newBus(t, s), c
}
