package ws

import (
	"log/slog"
	"runtime"
	"sync/atomic"
)

// pollers spreads sockets over one poller per CPU that Go runs on, so
// reading scales with GOMAXPROCS. nil, or empty, means that every socket
// is read by a goroutine of its own.
type pollers struct {
	all      []*poller
	flushers []*flusher // one per poller, writing the sockets it reads
	turn     atomic.Uint32
}

// newPollers starts the pollers when on is set; a system without them
// (not Linux) or one that refuses them leaves sockets to goroutines, with
// a line in the log saying so.
func newPollers(on bool, log *slog.Logger) *pollers {
	ps := &pollers{}
	if !on {
		return ps
	}
	for range runtime.GOMAXPROCS(0) {
		p, err := newPoller(log)
		if err != nil {
			log.Warn("sockets are read by a goroutine each", "err", err)
			break
		}
		ps.all = append(ps.all, p)
		ps.flushers = append(ps.flushers, newFlusher())
	}
	return ps
}

// next is the poller and the flusher for the next socket; nil when there
// are none.
func (ps *pollers) next() (*poller, *flusher) {
	if ps == nil || len(ps.all) == 0 {
		return nil, nil
	}
	i := int(ps.turn.Add(1)) % len(ps.all)
	return ps.all[i], ps.flushers[i]
}

// close stops every poller.
func (ps *pollers) close() {
	if ps == nil {
		return
	}
	for i, p := range ps.all {
		p.close()
		ps.flushers[i].close()
	}
}
