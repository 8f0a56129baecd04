package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// TestAbuseFragments writes fragmented messages frame by frame over a real
// socket, at the default rate limits: every frame, continuation included,
// costs a rate token, and a message may not be split into more or smaller
// fragments than the rules allow. Each abusive message ends the connection
// after a bounded number of frames and is never delivered.
func TestAbuseFragments(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst = 20, 40 // the defaults, as in TestAbuseSuite
	n := startNode(t, cfg)
	wide := cfg
	wide.RateBurst = 100        // room for 65 frames at once: only the fragment rules apply
	wide.MaxMessageBytes = 8192 // a text of 65×64 bytes would be delivered but for them
	w := startNode(t, wide)

	t.Run("empty continuation flood", func(t *testing.T) {
		c := dial(t, n, "frag", "flooder")
		c.ready()
		frames := [][]byte{clientFrame(false, 0x1, []byte(`{"type":`))}
		for len(frames) < 200 { // nothing more is sent: the server must close within these
			frames = append(frames, clientFrame(false, 0x0, nil))
		}
		writeFrames(c, frames...)
		got := c.closeWithin()
		checkClosedForAbuse(t, got)
	})
	t.Run("a 10,000-frame message is never accepted", func(t *testing.T) {
		c := dial(t, n, "frag", "flooder")
		c.ready()
		frames := [][]byte{clientFrame(false, 0x1, []byte(`{"type":"chat.message","text":"`))}
		for len(frames) < 9999 {
			frames = append(frames, clientFrame(false, 0x0, nil))
		}
		frames = append(frames, clientFrame(true, 0x0, []byte(`x"}`)))
		writeFrames(c, frames...)
		checkClosedForAbuse(t, c.closeWithin())
	})
	t.Run("continuation flood within the fragment rules is rate limited", func(t *testing.T) {
		c := dial(t, n, "frag", "flooder")
		c.ready()
		chunk := bytes.Repeat([]byte(" "), 64) // JSON whitespace, large enough for the fragment rules
		frames := [][]byte{clientFrame(false, 0x1, append([]byte(`{"type":"system.ping"`), chunk...))}
		for len(frames) < 200 {
			frames = append(frames, clientFrame(false, 0x0, chunk))
		}
		writeFrames(c, frames...)
		got := c.closeWithin()
		checkClosedForAbuse(t, got)
		if got.code == 1008 && got.rateLimited != 1 {
			t.Fatalf("%d rate_limited answers before 1008, want one for the one message", got.rateLimited)
		}
	})
	t.Run("64 fragments are one message", func(t *testing.T) {
		c := dial(t, w, "frag", "patient")
		c.ready()
		text := strings.Repeat("y", 4070) // the JSON is over 64×64 bytes
		writeFrames(c, fragments(chatJSON(text), 64, 64)...)
		if f := c.expect("chat.delivery"); f.str("text") != text {
			t.Fatalf("delivered %d bytes of text, want %d", len(f.str("text")), len(text))
		}
	})
	t.Run("65 fragments close with 1002", func(t *testing.T) {
		c := dial(t, w, "frag", "patient")
		c.ready()
		writeFrames(c, fragments(chatJSON(strings.Repeat("y", 4200)), 65, 64)...)
		got := c.closeWithin()
		if got.code != 1002 || got.text != "too many fragments" || got.delivered != 0 {
			t.Fatalf("closed %d %q after %d deliveries, want 1002 \"too many fragments\" and none", got.code, got.text, got.delivered)
		}
		eventually(t, "the 1002 counted", func() bool {
			return w.scrape(t).Value("rt_connections_closed_total", "code", "1002", "reason", "protocol_error") == 1
		})
	})
	t.Run("the first 4 fragments and the last may be small", func(t *testing.T) {
		c := dial(t, n, "frag", "patient")
		c.ready()
		text := strings.Repeat("z", 100)
		msg := chatJSON(text)
		writeFrames(c,
			clientFrame(false, 0x1, msg[:2]), clientFrame(false, 0x0, msg[2:4]),
			clientFrame(false, 0x0, msg[4:6]), clientFrame(false, 0x0, msg[6:8]),
			clientFrame(false, 0x0, msg[8:len(msg)-2]), clientFrame(true, 0x0, msg[len(msg)-2:]))
		if f := c.expect("chat.delivery"); f.str("text") != text {
			t.Fatalf("delivery %v", f)
		}
	})
	t.Run("a small fragment after the 4th closes with 1002", func(t *testing.T) {
		c := dial(t, n, "frag", "patient")
		c.ready()
		msg := chatJSON("tiny")
		frames := [][]byte{clientFrame(false, 0x1, msg[:2])}
		for i := 1; i < 5; i++ { // the 5th fragment is small and not the last
			frames = append(frames, clientFrame(false, 0x0, msg[2*i:2*i+2]))
		}
		frames = append(frames, clientFrame(true, 0x0, msg[10:]))
		writeFrames(c, frames...)
		got := c.closeWithin()
		if got.code != 1002 || got.text != "fragment too small" || got.delivered != 0 {
			t.Fatalf("closed %d %q after %d deliveries, want 1002 \"fragment too small\" and none", got.code, got.text, got.delivered)
		}
	})
}

// clientFrame builds one masked client frame (RFC 6455 §5.2) of up to
// 65535 payload bytes.
func clientFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	if len(payload) < 126 {
		f = append(f, 0x80|byte(len(payload)))
	} else {
		f = binary.BigEndian.AppendUint16(append(f, 0x80|126), uint16(len(payload)))
	}
	key := make([]byte, 4)
	_, _ = rand.Read(key)
	f = append(f, key...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}

// fragments splits msg into n text fragments of at least size bytes each
// (the last one takes the rest).
func fragments(msg []byte, n, size int) [][]byte {
	if len(msg) < n*size {
		panic("message too short to split")
	}
	var frames [][]byte
	for i := 0; i < n; i++ {
		op := byte(0x0)
		if i == 0 {
			op = 0x1
		}
		end := (i + 1) * size
		if i == n-1 {
			end = len(msg)
		}
		frames = append(frames, clientFrame(i == n-1, op, msg[i*size:end]))
	}
	return frames
}

func chatJSON(text string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "chat.message", "text": text})
	return b
}

// writeFrames writes the frames in one go, as a flooder would. The server
// may close before it has read them all: a failed write is not an error.
func writeFrames(c *client, frames ...[]byte) {
	conn := c.ws.UnderlyingConn()
	_ = conn.SetWriteDeadline(time.Now().Add(readWait))
	_, _ = conn.Write(bytes.Join(frames, nil))
}

// ended is what a client read until the server closed it.
type ended struct {
	code        int
	text        string
	rateLimited int // rate_limited answers
	delivered   int // chat deliveries
}

// closeWithin reads until the server closes (within readWait: a server
// that waits for more frames fails the test) and counts what came first.
func (c *client) closeWithin() ended {
	c.t.Helper()
	var e ended
	timeout := time.After(readWait)
	for {
		select {
		case data, ok := <-c.frames:
			if ok {
				var f frame
				_ = json.Unmarshal(data, &f)
				e.rateLimited += b2i(f.str("code") == "rate_limited")
				e.delivered += b2i(f.str("type") == "chat.delivery")
				continue
			}
			var ce *websocket.CloseError
			if !errors.As(c.err, &ce) {
				c.t.Fatalf("want a close frame, got %v", c.err)
			}
			e.code, e.text = ce.Code, ce.Text
			return e
		case <-timeout:
			c.t.Fatalf("not closed within %s (%d rate_limited, %d delivered so far)", readWait, e.rateLimited, e.delivered)
		}
	}
}

// checkClosedForAbuse: the flood was refused, by the rate limit (1008) or by
// the fragment rules (1002), and nothing of it was delivered.
func checkClosedForAbuse(t *testing.T, e ended) {
	t.Helper()
	t.Logf("closed %d %q after %d rate_limited", e.code, e.text, e.rateLimited)
	if (e.code != 1008 && e.code != 1002) || e.delivered != 0 || e.rateLimited > 1 {
		t.Fatalf("closed %d %q after %d rate_limited and %d deliveries, want 1008 or 1002, nothing delivered",
			e.code, e.text, e.rateLimited, e.delivered)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestClientCloseFrames: the server, not the library, now answers a
// client's close frame: with the same code (1000 for a close without one),
// or, for a close that breaks the rules, with 1002 or 1007.
func TestClientCloseFrames(t *testing.T) {
	n := startNode(t, testConfig())
	for _, tc := range []struct {
		name    string
		payload []byte
		want    int
	}{
		{"1000 with a reason", append([]byte{0x03, 0xE8}, "bye"...), 1000},
		{"no status", nil, 1000},
		{"4999", []byte{0x13, 0x87}, 4999},
		{"one byte", []byte{0x03}, 1002},
		{"1005 sent on the wire", []byte{0x03, 0xED}, 1002},
		{"reason not UTF-8", []byte{0x03, 0xE8, 0xFF}, 1007},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, n, "closes", "closer")
			c.ready()
			writeFrames(c, clientFrame(true, 0x8, tc.payload))
			if code := c.closeCode(); code != tc.want {
				t.Fatalf("close %d, want %d", code, tc.want)
			}
		})
	}
	t.Run("unmasked frame", func(t *testing.T) {
		c := dial(t, n, "closes", "closer")
		c.ready()
		writeFrames(c, []byte{0x81, 2, 'h', 'i'})
		if code := c.closeCode(); code != 1002 {
			t.Fatalf("close %d, want 1002", code)
		}
	})
	eventually(t, "client closes counted as client_closed, no code", func() bool {
		m := n.scrape(t)
		return m.Value("rt_connections_closed_total", "code", "none", "reason", "client_closed") == 3 &&
			m.Value("rt_connections_closed_total", "code", "1002", "reason", "protocol_error") == 3 &&
			m.Value("rt_connections_closed_total", "code", "1007", "reason", "invalid_payload") == 1
	})
}
