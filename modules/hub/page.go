package hub

import (
	"context"
	"fmt"

	"rt/modules/protocol"
)

// Page returns the history.page frame of up to limit of the room's chat
// messages before the id before ("" for the newest), oldest first.
func (h *Hub) Page(ctx context.Context, room, before string, limit int) ([]byte, error) {
	entries, more, err := h.history.Before(ctx, room, before, limit)
	if err != nil {
		h.stats.historyErrors.WithLabelValues("read").Inc()
		return nil, fmt.Errorf("history of %s: %w", room, err)
	}
	frames := make([][]byte, len(entries))
	for i, e := range entries {
		frames[i] = e.Frame
	}
	return protocol.HistoryPage(room, frames, more), nil
}
