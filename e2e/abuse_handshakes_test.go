package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// handshakeAnswer is what one handshake got: 101, or a status and code.
type handshakeAnswer struct {
	status int
	code   string
}

// tryHandshake opens a socket to path (a room, query included) with the
// allowed Origin and the given extra headers, closes it at once if it was
// accepted, and reports the answer.
func tryHandshake(t *testing.T, n *node, path string, extra http.Header) handshakeAnswer {
	t.Helper()
	h := http.Header{"Origin": {origin}}
	for k, v := range extra {
		h[k] = v
	}
	conn, resp, err := dialRaw("ws://"+n.addr+path, h)
	if err == nil {
		conn.Close()
		return handshakeAnswer{status: http.StatusSwitchingProtocols}
	}
	if resp == nil {
		t.Fatalf("handshake %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var got struct{ Error string }
	_ = json.Unmarshal(body, &got)
	return handshakeAnswer{resp.StatusCode, got.Error}
}

var tooManyHandshakes = handshakeAnswer{http.StatusTooManyRequests, "too_many_handshakes"}

// floodHandshakes makes count handshakes in a row, each for its own user
// (so MAX_CONNS_PER_USER never answers), and fails on any answer but 101
// and 429 too_many_handshakes. It returns how many were accepted and how
// long the flood took.
func floodHandshakes(t *testing.T, n *node, count int, extra http.Header) (accepted, refused int, took time.Duration) {
	t.Helper()
	start := time.Now()
	for i := range count {
		switch a := tryHandshake(t, n, "/ws/flood?token="+token(t, fmt.Sprintf("u%d", i)), extra); a {
		case handshakeAnswer{status: http.StatusSwitchingProtocols}:
			accepted++
		case tooManyHandshakes:
			refused++
		default:
			t.Fatalf("handshake %d: %+v", i, a)
		}
	}
	return accepted, refused, time.Since(start)
}

// TestHandshakeFloodFromOneAddress: one address making 100 handshakes at
// once gets its burst and what the rate refills during the flood, and 429
// too_many_handshakes for the rest; once refused, even a garbage token gets
// 429, so the limit is decided before the token is read.
func TestHandshakeFloodFromOneAddress(t *testing.T) {
	cfg := testConfig()
	cfg.HandshakeRate, cfg.HandshakeBurst = 20, 40
	n := startNode(t, cfg)

	accepted, refused, took := floodHandshakes(t, n, 100, nil)
	if most := cfg.HandshakeBurst + int(cfg.HandshakeRate*took.Seconds()) + 1; accepted > most || refused == 0 {
		t.Fatalf("%d accepted, %d refused in %s; want at most %d accepted and some refused", accepted, refused, took, most)
	}
	if a := tryHandshake(t, n, "/ws/flood?token=abc.def.ghi", nil); a != tooManyHandshakes {
		t.Fatalf("garbage token once the bucket is empty: %+v, want 429 too_many_handshakes", a)
	}
	m := n.scrape(t)
	if got := m.Value("rt_handshakes_total", "outcome", "rejected", "reason", "too_many_handshakes"); got < float64(refused+1) {
		t.Errorf("rt_handshakes_total{reason=too_many_handshakes} = %v, want at least %d", got, refused+1)
	}
}

// TestHandshakeLimitIsPerAddress: behind a trusted proxy each address of
// X-Forwarded-For has its own bucket, so one client's flood does not refuse
// another's handshake; the proxy's own requests are a third address.
func TestHandshakeLimitIsPerAddress(t *testing.T) {
	cfg := testConfig()
	cfg.HandshakeRate, cfg.HandshakeBurst = 20, 40
	cfg.TrustedProxies = []string{"127.0.0.1"}
	n := startNode(t, cfg)

	flooder := http.Header{"X-Forwarded-For": {"203.0.113.1"}}
	if _, refused, _ := floodHandshakes(t, n, 100, flooder); refused == 0 {
		t.Fatal("the flooding address was never refused")
	}
	for _, h := range []http.Header{
		{"X-Forwarded-For": {"203.0.113.2"}},
		{"X-Forwarded-For": {"198.51.100.7, 203.0.113.3"}}, // the rightmost untrusted one is the client
		nil, // the proxy itself
	} {
		if a := tryHandshake(t, n, "/ws/other?token="+token(t, "other"), h); a.status != http.StatusSwitchingProtocols {
			t.Errorf("%v: %+v, want 101", h, a)
		}
	}
	// A client cannot escape its bucket by naming another address in front
	// of the one the proxy appended.
	spoofed := http.Header{"X-Forwarded-For": {"192.0.2.99, 203.0.113.1"}}
	if a := tryHandshake(t, n, "/ws/flood?token="+token(t, "spoof"), spoofed); a != tooManyHandshakes {
		t.Errorf("spoofed X-Forwarded-For: %+v, want 429 too_many_handshakes", a)
	}
}

// TestRoomIsThePathAsWritten: a trailing, doubled or dotted slash is part
// of what was written, and no room name holds a slash.
func TestRoomIsThePathAsWritten(t *testing.T) {
	n := startNode(t, testConfig())
	tok := "?token=" + token(t, "u1")
	for _, path := range []string{"/ws/lobby/", "/ws//lobby", "/ws/lobby//", "/ws/./lobby", "/ws/x/../lobby", "/ws/lobby%2F"} {
		if a := tryHandshake(t, n, path+tok, nil); a != (handshakeAnswer{http.StatusBadRequest, "bad_room"}) {
			t.Errorf("%s: %+v, want 400 bad_room", path, a)
		}
	}
	if a := tryHandshake(t, n, "/ws/lobby"+tok, nil); a.status != http.StatusSwitchingProtocols {
		t.Errorf("/ws/lobby: %+v, want 101", a)
	}
}
