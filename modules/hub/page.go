package hub

import (
	"context"
	"fmt"
	"math"

	"github.com/rtserver/rt/modules/protocol"
)

// Page returns the history.page frame of up to limit of the room's chat
// messages before the id before ("" for the newest), oldest first.
func (h *Hub) Page(ctx context.Context, room, before string, limit int) ([]byte, error) {
	page, _, err := h.PageWithin(ctx, room, before, limit, math.MaxInt)
	return page, err
}

// PageWithin is Page for a client's socket, which has room for maxBytes: a
// page whose messages come to more keeps the newest that fit (at least one)
// and says more, and the client pages on from the oldest it got, as after
// a full page. It also returns the bytes read from history.
func (h *Hub) PageWithin(ctx context.Context, room, before string, limit, maxBytes int) (page []byte, read int, err error) {
	entries, more, err := h.bus.Before(ctx, room, before, limit)
	if err != nil {
		h.stats.historyErrors.WithLabelValues("read").Inc()
		return nil, 0, fmt.Errorf("history of %s: %w", room, err)
	}
	read = frameBytes(entries)
	start, size := len(entries), 0
	for start > 0 && (start == len(entries) || size+len(entries[start-1].Frame) <= maxBytes) {
		start--
		size += len(entries[start].Frame)
	}
	if start > 0 {
		more = true
	}
	frames := make([][]byte, 0, len(entries)-start)
	for _, e := range entries[start:] {
		frames = append(frames, e.Frame)
	}
	return protocol.HistoryPage(room, frames, more), read, nil
}
