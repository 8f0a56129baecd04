package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func dialExpiring(t *testing.T, n *node, sub string, in time.Duration) *client {
	t.Helper()
	tok := token(t, sub, jwt.MapClaims{"exp": time.Now().Add(in).Unix()})
	c := dialWith(t, n.wsURL("test")+"?token="+tok, http.Header{"Origin": {origin}})
	c.ready()
	return c
}

func TestTokenExpiryClosesWith4001(t *testing.T) {
	n := startNode(t, testConfig())
	c := dialExpiring(t, n, "alice", 2*time.Second)
	// A refresh that does not verify, names someone else or does not allow
	// this room changes nothing.
	later := time.Now().Add(time.Hour).Unix()
	for _, bad := range []string{
		"garbage",
		token(t, "mallory", jwt.MapClaims{"exp": later}),
		token(t, "alice", jwt.MapClaims{"exp": later, "rooms": []string{"elsewhere"}}),
	} {
		c.send(map[string]string{"type": "auth.refresh", "token": bad})
		if f := c.expect("system.error"); f.str("code") != "token_invalid" {
			t.Fatalf("got %v", f)
		}
	}
	if code := c.closeCode(); code != 4001 {
		t.Fatalf("close code %d, want 4001", code)
	}
}

func TestAuthRefreshExtendsTheConnection(t *testing.T) {
	n := startNode(t, testConfig())
	c := dialExpiring(t, n, "alice", 2*time.Second)
	exp := time.Now().Add(time.Hour).Unix()
	c.send(map[string]string{"type": "auth.refresh", "token": token(t, "alice", jwt.MapClaims{"exp": exp})})
	if f := c.expect("auth.refreshed"); int64(f["exp"].(float64)) != exp*1000 {
		t.Fatalf("got %v, want exp %d", f, exp*1000)
	}
	time.Sleep(2500 * time.Millisecond) // past the first token's exp
	c.send(map[string]string{"type": "system.ping"})
	c.expect("system.pong")
}

// A token accepted only thanks to JWT_LEEWAY lives until exp plus the
// leeway, as the handshake allowed, instead of being closed at once.
func TestTokenExpiryHonoursLeeway(t *testing.T) {
	cfg := testConfig()
	cfg.JWTLeeway = 3 * time.Second
	n := startNode(t, cfg)
	c := dialExpiring(t, n, "alice", -time.Second) // ready(): a ping answered after the join
	c.send(map[string]string{"type": "system.ping"})
	c.expect("system.pong")
	if code := c.closeCode(); code != 4001 {
		t.Fatalf("close code %d, want 4001 once the leeway has passed too", code)
	}
}
