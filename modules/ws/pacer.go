package ws

import (
	"context"
	"time"
)

// recoveryGrace is how long a recovery waits after the upgrade before its
// first read: a client that closes right after its 101 (a storm of
// reconnects that never stay) is closing by then and costs no read, and a
// real client waits no longer than a round trip or two.
const recoveryGrace = 50 * time.Millisecond

// historyPacer paces a recovery's replay for one socket: a page is read
// only once the client has read most of what came before it and the user's
// history budget allows, and it asks for as many messages as fit in the
// half of SEND_QUEUE_BYTES left. A client that never reads holds one page.
type historyPacer struct {
	c       *Conn
	started bool
}

func (p *historyPacer) Next(ctx context.Context) (int, bool) {
	c := p.c
	if !p.started {
		p.started = true
		if !c.linger(ctx, recoveryGrace) {
			return 0, false
		}
	}
	if !c.pageTurn(ctx) {
		return 0, false
	}
	return c.limits.PageEntries, true
}

func (p *historyPacer) Read(n int) { p.c.historyRead(n) }

// linger waits d and reports whether the connection is still open then.
func (c *Conn) linger(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return !c.isClosing()
	case <-c.closing:
	case <-ctx.Done():
	}
	return false
}

// historyRead settles a read that took pageRoom from the user's allowance
// and counts its bytes.
func (c *Conn) historyRead(n int) {
	c.history.settle(c.pageRoom(), n)
	c.stats.historyRead.Add(float64(n))
}

// pageTurn waits until one more history page may be read for this socket,
// a recovery's or a history.get's: the client has read most of what came
// before it and its user's history budget allows (a page's bytes taken
// from it; historyRead gives back what the read did not use). It reports
// false once the connection is closing or ctx ends.
func (c *Conn) pageTurn(ctx context.Context) bool {
	return c.awaitRoom(ctx, c.pageRoom()) && c.history.take(ctx, c.pageRoom())
}

// pageRoom is the bytes a history page may take, and how far the queue must
// have drained before one is read: half of SEND_QUEUE_BYTES each, so a page
// always fits behind what is queued.
func (c *Conn) pageRoom() int { return c.limits.SendQueueBytes / 2 }
