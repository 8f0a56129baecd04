package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// pageLimit is the most history.get may ask for.
const pageLimit = 100

// readHistory is the room's whole history, oldest first, read the way a
// client scrolls back: history.get pages from the newest backwards, from a
// fresh connection that asks for no recovery. It is the run's ground
// truth: the one order of the room's messages across every node.
func readHistory(ctx context.Context, w *world, port int, room string, maxPages int) ([]entry, error) {
	tok, err := rtnode.Token("chaos-observer")
	if err != nil {
		return nil, err
	}
	ws, err := w.dial(ctx, port, room, tok, "")
	if err != nil {
		return nil, fmt.Errorf("observer of %s: %w", room, err)
	}
	defer ws.Close()
	var all []entry
	before := ""
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("%s: history still had more after %d pages of %d", room, maxPages, pageLimit)
		}
		req := map[string]any{"type": "history.get", "limit": pageLimit}
		if before != "" {
			req["before"] = before
		}
		b, _ := json.Marshal(req)
		if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
			return nil, err
		}
		var f frame
		for f.Type != "history.page" {
			_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := ws.ReadMessage()
			if err != nil {
				return nil, fmt.Errorf("%s: waiting for history.page: %w", room, err)
			}
			f = frame{}
			if err := json.Unmarshal(data, &f); err != nil {
				return nil, fmt.Errorf("%s: unreadable frame %q", room, data)
			}
			if f.Type == "system.error" {
				return nil, fmt.Errorf("%s: history.get answered with system.error %s (%s): does this build keep room history?", room, f.Code, f.Message)
			}
		}
		if !slices.IsSortedFunc(f.Messages, func(a, b entry) int { return strings.Compare(a.ID, b.ID) }) {
			return nil, fmt.Errorf("%s: a history.page not oldest first", room)
		}
		if n := len(f.Messages); n > 0 && before != "" && f.Messages[n-1].ID >= before {
			return nil, fmt.Errorf("%s: history.get before=%s returned %s", room, before, f.Messages[n-1].ID)
		}
		all = append(f.Messages, all...)
		if !f.More || len(f.Messages) == 0 {
			return all, nil
		}
		before = f.Messages[0].ID
	}
}
