package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/golang-jwt/jwt/v5"
)

// bigToken is a correctly signed token for sub of about 61 KB: 3,300 rooms,
// the last of them room. It would pass every check but its size.
func bigToken(t *testing.T, sub, room string) string {
	t.Helper()
	rooms := make([]string, 0, 3300)
	for i := 0; i < 3299; i++ {
		rooms = append(rooms, fmt.Sprintf("room-%06d", i))
	}
	rooms = append(rooms, room)
	tok := token(t, sub, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "rooms": rooms})
	if len(tok) < 60<<10 || len(tok) > 63<<10 {
		t.Fatalf("token of %d bytes, want about 61 KB", len(tok))
	}
	return tok
}

// TestTokenOversizedRefreshIsRefused: a refresh token longer than the
// handshake could ever carry is token_invalid, however well signed.
func TestTokenOversizedRefreshIsRefused(t *testing.T) {
	n := startNode(t, testConfig())
	c := dial(t, n, "lobby", "alice")
	c.ready()
	c.send(map[string]string{"type": "auth.refresh", "token": bigToken(t, "alice", "lobby")})
	if f := c.expect("system.error"); f.str("code") != "token_invalid" {
		t.Fatalf("61 KB refresh: %v, want token_invalid", f)
	}
	c.send(map[string]string{"type": "system.ping"}) // still served
	c.expect("system.pong")
}

// TestTokenRefreshFloodIsLimited: refreshes have a bucket of their own;
// past it they are answered rate_limited, and the warnings count toward
// RATE_WARNINGS like any other, ending in 1008.
func TestTokenRefreshFloodIsLimited(t *testing.T) {
	cfg := testConfig() // the data-frame bucket is huge: only the refresh bucket can object
	cfg.RateWarnings = 3
	n := startNode(t, cfg)
	c := dial(t, n, "lobby", "alice")
	c.ready()
	refresh := fmt.Sprintf(`{"type":"auth.refresh","token":%q}`,
		token(t, "alice", jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()}))
	for i := 0; i < 20; i++ {
		if c.ws.WriteMessage(websocket.TextMessage, []byte(refresh)) != nil {
			break // closed by the server
		}
	}
	refreshed, limited := 0, 0
	for done := false; !done; {
		f, ok := c.poll(readWait)
		switch {
		case !ok:
			done = true
		case f.str("type") == "auth.refreshed":
			refreshed++
		case f.str("code") == "rate_limited":
			limited++
		default:
			t.Fatalf("unexpected %v", f)
		}
	}
	if refreshed < 3 || refreshed > 4 || limited != 3 {
		t.Fatalf("%d refreshed, %d rate_limited; want the burst of 3 (4 if a token came back), then 3 warnings", refreshed, limited)
	}
	if code := c.closeCode(); code != 1008 {
		t.Fatalf("close code %d, want 1008", code)
	}
}

// outOfRange are signed payloads whose times are numbers but no NumericDate
// rt accepts: before year 0 of Unix time or after the year 9999.
var outOfRange = []struct{ name, payload string }{
	{"nbf 1e19", `{"sub":"alice","nbf":1e19}`},
	{"nbf 10000000000000000000", `{"sub":"alice","nbf":10000000000000000000}`},
	{"iat 1e300", `{"sub":"alice","iat":1e300}`},
	{"iat 1.8e308", `{"sub":"alice","iat":1.8e308}`},
	{"exp 9.2e18", `{"sub":"alice","exp":9.2e18}`},
	{"exp -1", `{"sub":"alice","exp":-1}`},
	{"exp year 10000", `{"sub":"alice","exp":253402300800}`},
}

func TestTokenClaimsOutOfRangeAtHandshake(t *testing.T) {
	n := startNode(t, testConfig())
	for _, tt := range outOfRange {
		t.Run(tt.name, func(t *testing.T) {
			claimsExpectRefused(t, n.wsURL("lobby")+"?token="+claimsForge(claimsHeader, tt.payload))
		})
	}
	t.Run("exp 9999-12-31T23:59:59Z", func(t *testing.T) {
		tok := claimsForge(claimsHeader, `{"sub":"alice","exp":253402300799}`)
		dialWith(t, n.wsURL("lobby")+"?token="+tok, http.Header{"Origin": {origin}}).ready()
	})
}

// TestTokenClaimsOutOfRangeAtRefresh: each case on a socket of its own, so
// the refresh bucket never objects.
func TestTokenClaimsOutOfRangeAtRefresh(t *testing.T) {
	n := startNode(t, testConfig())
	refresh := func(t *testing.T, payload string) frame {
		c := dial(t, n, "lobby", "alice")
		c.ready()
		c.send(map[string]string{"type": "auth.refresh", "token": claimsForge(claimsHeader, payload)})
		defer c.ws.Close()
		for {
			if f := c.next(); !strings.HasPrefix(f.str("type"), "presence.") {
				return f
			}
		}
	}
	for _, tt := range outOfRange {
		t.Run(tt.name, func(t *testing.T) {
			if f := refresh(t, tt.payload); f.str("code") != "token_invalid" {
				t.Fatalf("%v, want token_invalid", f)
			}
		})
	}
	t.Run("exp 9999-12-31T23:59:59Z", func(t *testing.T) {
		if f := refresh(t, `{"sub":"alice","exp":253402300799}`); f.str("type") != "auth.refreshed" ||
			int64(f["exp"].(float64)) != 253402300799000 {
			t.Fatalf("%v, want auth.refreshed with exp 253402300799000", f)
		}
	})
}
