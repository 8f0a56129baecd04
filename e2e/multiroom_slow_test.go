package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// Signals to a member that does not read are dropped once its queue is
// full, never queued past it and never a reason to close it (chat
// messages would close it with 4002: TestSlowReaderIsClosedWith4002).
func TestMultiroomSignalsNeverCloseASlowMember(t *testing.T) {
	cfg := testConfig()
	// A signal is queued only while the queue is under half full: 8 frames
	// leave the watcher room for a window of 4 signals beside a presence
	// frame or two that its own join's announcement window sends late.
	cfg.SendQueue = 16
	cfg.WriteTimeout = time.Minute // the stuck write waits for the test to read
	n := startNode(t, cfg)

	slow, _, err := websocket.DefaultDialer.Dial(n.wsURL("busy")+"?token="+token(t, "slow"), http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	// Each one's join is done once it answers a ping (the server reads
	// frames only after the join). Their presence frames may come as a
	// presence.join or, within the 200 ms window of another join, a
	// presence.diff: ready skips either.
	fast := dial(t, n, "busy", "fast")
	fast.ready()
	watcher := dial(t, n, "busy", "watcher")
	watcher.ready()

	// The watcher reads every signal, so the sender goes only as fast as a
	// reading member; 16 MB of signals is more than loopback buffers hold.
	const total, window = 4000, 4
	signal := `{"type":"room.signal","data":"` + strings.Repeat("x", 4000) + `"}`
	for sent := 0; sent < total; sent += window {
		for range window {
			fast.sendRaw(signal)
		}
		for range window {
			watcher.expect("room.signal", "presence.join", "presence.leave", "presence.diff")
		}
	}

	// The slow member reads what it was given, then is still connected:
	// it answers a ping, and gets a chat message after the flood.
	got := 0
	_ = slow.SetReadDeadline(time.Now().Add(readWait))
	if err := slow.WriteMessage(websocket.TextMessage, []byte(`{"type":"system.ping","ref":"after"}`)); err != nil {
		t.Fatal(err)
	}
	for {
		_, data, err := slow.ReadMessage()
		if err != nil {
			t.Fatalf("the slow member was closed after %d signals: %v", got, err)
		}
		if strings.HasPrefix(string(data), `{"type":"room.signal"`) {
			got++
		}
		if strings.Contains(string(data), `"ref":"after"`) {
			break
		}
	}
	if got >= total {
		t.Fatalf("the slow member got all %d signals: nothing was dropped for its full queue", got)
	}
	fast.chat("still here")
	for {
		_, data, err := slow.ReadMessage()
		if err != nil {
			t.Fatalf("no delivery after the signals: %v", err)
		}
		if strings.Contains(string(data), `"text":"still here"`) {
			break
		}
	}
	t.Logf("the slow member got %d of %d signals", got, total)
}
