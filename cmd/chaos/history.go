package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/rtserver/rt/client"
	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// pageLimit is the most history.get may ask for.
const pageLimit = 100

// readHistory is the room's whole history, oldest first, read the way a
// client scrolls back: History pages from the newest backwards, by a fresh
// client of the library on the node on port, in the room without asking to
// recover. It is the run's ground truth: the one order of the room's
// messages across every node.
func readHistory(ctx context.Context, w *world, port int, room string, maxPages int) ([]entry, error) {
	tok, err := rtnode.Token("chaos-observer")
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(rtnode.Loopback, strconv.Itoa(port))
	c, err := newLibClient(w, tok, func(ctx context.Context, network, _ string) (net.Conn, error) {
		return rtnode.DialLoopback(ctx, network, addr)
	}, client.Handlers{})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Connect(ctx); err != nil {
		return nil, fmt.Errorf("observer of %s: %w", room, err)
	}
	r := c.Room(room)
	if err := r.Join(ctx); err != nil {
		return nil, fmt.Errorf("observer of %s: joining: %w", room, err)
	}
	var all []entry
	before := ""
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("%s: history still had more after %d pages of %d", room, maxPages, pageLimit)
		}
		p, err := r.History(ctx, before, pageLimit)
		if err != nil {
			return nil, fmt.Errorf("%s: History: %w (does this build keep room history?)", room, err)
		}
		es := make([]entry, len(p.Messages))
		for i, m := range p.Messages {
			es[i] = entry{ID: m.ID, User: m.User, Text: m.Text, TS: m.TS}
		}
		if !slices.IsSortedFunc(es, func(a, b entry) int { return strings.Compare(a.ID, b.ID) }) {
			return nil, fmt.Errorf("%s: a history page not oldest first", room)
		}
		if n := len(es); n > 0 && before != "" && es[n-1].ID >= before {
			return nil, fmt.Errorf("%s: History before=%s returned %s", room, before, es[n-1].ID)
		}
		all = append(es, all...)
		if !p.More || len(es) == 0 {
			return all, nil
		}
		before = es[0].ID
	}
}
