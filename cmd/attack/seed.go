package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

const (
	seedMessages = 200 // HISTORY_SIZE's default: the room's history is full
	seeders      = 4   // users posting them, each within the default rate limit
	// seedEvery paces each seeder just under the default RATE_LIMIT (20/s),
	// so that no message is refused: 50 messages each take under 3 s.
	seedEvery = 55 * time.Millisecond
	seedMax   = 60 * time.Second // bound on the seeding, deliveries included
)

// seeded is the room the history scenarios attack.
type seeded struct {
	room   string
	oldest string // id of its first message: since=oldest replays the rest
	stored int    // messages confirmed by their own delivery
}

// startSeeded starts the server of a history scenario, its handshakes
// open, and fills a room of it; the caller stops the server.
func startSeeded(ctx context.Context, e *env) (*target, *seeded, error) {
	t, err := startTarget(ctx, e, openHandshakes)
	if err != nil {
		return nil, nil, err
	}
	room, err := seedRoom(ctx, t)
	if err != nil {
		t.Stop()
		return nil, nil, err
	}
	return t, room, nil
}

// seedRoom fills a room's history with seedMessages of bigText, posted by
// seeders ordinary clients that read everything, as the limits allow.
func seedRoom(ctx context.Context, t *target) (*seeded, error) {
	s := &seeded{room: "attack." + t.e.runID}
	var own atomic.Int64
	var first atomic.Value
	socks := make([]*websocket.Conn, seeders)
	defer func() {
		for _, ws := range socks {
			if ws != nil {
				ws.Close()
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range socks {
		user := "seeder-" + strconv.Itoa(i)
		tok, err := rtnode.Token(user)
		if err != nil {
			return nil, err
		}
		// A buffer that holds a whole message (4,096 `<` are 24.6 KB once
		// JSON-escaped), so each goes as one frame:
		// the server charges a rate token per frame, fragments included.
		d := newDialer()
		d.WriteBufferSize = 32 << 10
		ws, cause := dial(ctx, d, rtnode.WSURL(t.Port, s.room, tok, ""))
		if ws == nil {
			return nil, fmt.Errorf("seeder %d: handshake: %s", i, cause)
		}
		socks[i] = ws
		_ = ws.SetReadDeadline(time.Now().Add(seedMax))
		wg.Go(func() { seedReader(ws, user, &own, &first) })
	}
	logf("seeding %s: %d messages of %d bytes from %d users", s.room, seedMessages, len(bigText), seeders)
	msg := chatMessage(bigText)
	deadline := time.Now().Add(seedMax)
	for n := range seedMessages / seeders {
		for _, ws := range socks {
			_ = ws.SetWriteDeadline(time.Now().Add(writeMax))
			if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				return nil, fmt.Errorf("seeding, message %d: %w", n, err)
			}
		}
		if err := rtnode.Sleep(ctx, seedEvery); err != nil {
			return nil, err
		}
	}
	for own.Load() < seedMessages && time.Now().Before(deadline) && ctx.Err() == nil {
		_ = rtnode.Sleep(ctx, 50*time.Millisecond)
	}
	s.stored = int(own.Load())
	if id, _ := first.Load().(string); id != "" {
		s.oldest = id
	}
	if s.stored < seedMessages || s.oldest == "" {
		return nil, fmt.Errorf("seeding: %d of %d messages delivered back to their senders", s.stored, seedMessages)
	}
	return s, nil
}

// seedReader reads a seeder's socket: it counts its own deliveries, and
// keeps the id of the first delivery the room made.
func seedReader(ws *websocket.Conn, user string, own *atomic.Int64, first *atomic.Value) {
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if typ, code := frameType(data); typ == "system.error" {
			logf("seeding: %s got system.error %s", user, code)
			continue
		} else if typ != "chat.delivery" {
			continue
		}
		var d delivery
		if json.Unmarshal(data, &d) != nil {
			continue
		}
		first.CompareAndSwap(nil, d.ID)
		if d.User == user {
			own.Add(1)
		}
	}
}
