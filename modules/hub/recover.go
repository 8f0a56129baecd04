package hub

import (
	"context"
	"strconv"

	"github.com/rtserver/rt/modules/bus"
)

// Pacer paces a recovery's reads of history: the transport knows how much
// its client has still to read and what its user may read.
type Pacer interface {
	// Next waits until the next page may be read and says how many
	// messages it may hold; ok false ends the recovery (the client is
	// leaving).
	Next(ctx context.Context) (limit int, ok bool)
	// Read is told how many bytes a page read took.
	Read(bytes int)
}

// unpaced reads a recovery in pages of maxPage without waiting.
type unpaced struct{}

func (unpaced) Next(context.Context) (int, bool) { return maxPage, true }
func (unpaced) Read(int)                         {}

// maxPage is the most messages one read of a recovery asks for.
const maxPage = 100

// Recover replays to c, a member that joined with Since, what history holds
// after Since, oldest first, a page at a time as p allows, then
// history.recovered, then the live messages it held meanwhile. History that
// cannot be read makes an incomplete recovery, not a failed join. A nil p
// reads as fast as history answers.
//
// Paging keeps what a client that does not read can make this node hold to
// one page, and a client that leaves mid-replay costs no further read.
func (h *Hub) Recover(ctx context.Context, c Client, p Pacer) {
	if p == nil {
		p = unpaced{}
	}
	r := h.rooms.existing(c.Room)
	if r == nil {
		return // left already
	}
	from, complete, first := c.Since, true, true
	for {
		limit, ok := p.Next(ctx)
		if !ok {
			return
		}
		entries, held, err := h.bus.Range(ctx, c.Room, from, limit)
		if err != nil {
			h.stats.historyErrors.WithLabelValues("read").Inc()
			h.log.Warn("recovery: history unreadable; the client is told it is incomplete", "room", c.Room, "err", err)
			complete = false
			break
		}
		p.Read(frameBytes(entries))
		complete = complete && held
		if first && held {
			r.startAt(c.Member, c.Since)
		}
		more, ok := r.replayPage(c.Member, entries, len(entries) == limit)
		if !ok {
			return // left meanwhile
		}
		first = false
		if !more {
			break
		}
		from = entries[len(entries)-1].ID
	}
	n, complete := r.release(c.Member, complete)
	h.stats.replayed.Add(float64(n))
	h.stats.recoveries.WithLabelValues(strconv.FormatBool(complete)).Inc()
}

// frameBytes is the size of the entries' frames.
func frameBytes(entries []bus.Entry) int {
	n := 0
	for _, e := range entries {
		n += len(e.Frame)
	}
	return n
}
