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
// (so MAX_CONNS_PER_USER never answers) and with the headers extra(i)
// (extra may be nil), and fails on any answer but 101 and 429
// too_many_handshakes. It returns how many were accepted and refused and
// how long the flood took.
func floodHandshakes(t *testing.T, n *node, count int, extra func(i int) http.Header) (accepted, refused int, took time.Duration) {
	t.Helper()
	start := time.Now()
	for i := range count {
		var h http.Header
		if extra != nil {
			h = extra(i)
		}
		switch a := tryHandshake(t, n, "/ws/flood?token="+token(t, fmt.Sprintf("u%d", i)), h); a {
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
// too_many_handshakes for the rest. Garbage tokens sent next get 429 too,
// not 401 (except the few the rate refills meanwhile): the limit is
// decided before the token is read.
func TestHandshakeFloodFromOneAddress(t *testing.T) {
	cfg := testConfig()
	cfg.HandshakeRate, cfg.HandshakeBurst = 20, 40
	n := startNode(t, cfg)

	accepted, refused, took := floodHandshakes(t, n, 100, nil)
	if most := refilled(cfg.HandshakeBurst, cfg.HandshakeRate, took); accepted > most || refused == 0 {
		t.Fatalf("%d accepted, %d refused in %s; want at most %d accepted and some refused", accepted, refused, took, most)
	}

	start, read, limited := time.Now(), 0, 0
	for range 20 {
		switch a := tryHandshake(t, n, "/ws/flood?token=abc.def.ghi", nil); a {
		case tooManyHandshakes:
			limited++
		case handshakeAnswer{http.StatusUnauthorized, "token_invalid"}:
			read++
		default:
			t.Fatalf("garbage token: %+v", a)
		}
	}
	if most := refilled(0, cfg.HandshakeRate, time.Since(start)); read > most || limited == 0 {
		t.Fatalf("garbage tokens once the bucket is empty: %d read (401), %d refused (429); want at most %d read",
			read, limited, most)
	}
	m := n.scrape(t)
	if got := m.Value("rt_handshakes_total", "outcome", "rejected", "reason", "too_many_handshakes"); got != float64(refused+limited) {
		t.Errorf("rt_handshakes_total{reason=too_many_handshakes} = %v, want %d", got, refused+limited)
	}
}

// refilled is the most handshakes a bucket of burst at rate per second
// can give over d: a bound, not a timing threshold.
func refilled(burst int, rate float64, d time.Duration) int {
	return burst + int(rate*d.Seconds()) + 1
}

// TestHandshakeLimitIsPerAddress: behind a trusted proxy each address of
// X-Forwarded-For has its own bucket, so one client's flood does not refuse
// another's handshake; the proxy's own requests are a third address.
func TestHandshakeLimitIsPerAddress(t *testing.T) {
	cfg := testConfig()
	cfg.HandshakeRate, cfg.HandshakeBurst = 20, 40
	cfg.TrustedProxies = []string{"127.0.0.1"}
	n := startNode(t, cfg)

	// The flooder writes a new address in front of the one the proxy
	// appends on every handshake: that gets it no bucket of its own.
	flooder := func(i int) http.Header {
		return http.Header{"X-Forwarded-For": {fmt.Sprintf("192.0.2.%d, 203.0.113.1", i%250)}}
	}
	if accepted, refused, took := floodHandshakes(t, n, 100, flooder); refused == 0 || accepted > refilled(cfg.HandshakeBurst, cfg.HandshakeRate, took) {
		t.Fatalf("the flooding address: %d accepted, %d refused in %s", accepted, refused, took)
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
