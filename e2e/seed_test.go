package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/rtserver/rt/config"
)

// pyjwtToken was printed by the seed's own recipe, PyJWT 2.6:
// jwt.encode({"sub":"u1","iat":1764000000}, "change-me", algorithm="HS256")
const pyjwtToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImlhdCI6MTc2NDAwMDAwMH0.4NJooQ2mWYG98NIasj49OONdTc32Ag-GtFdRRD9AefI"

// TestSeedSmoke is the seed README's smoke test against the default
// configuration: a PyJWT token, a client sending an Origin header,
// chat.message in, chat.delivery out, and system.ping arriving periodically.
func TestSeedSmoke(t *testing.T) {
	cfg, err := config.Load(map[string]string{"HEARTBEAT_INTERVAL": "200ms"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port = 0
	n := startNode(t, cfg)
	c := dialWith(t, n.wsURL("test")+"?token="+pyjwtToken, http.Header{"Origin": {"http://localhost:8000"}})
	c.sendRaw(`{"type":"chat.message","room":"test","text":"hi"}`)
	f := c.expect("chat.delivery", "presence.join")
	if f.str("room") != "test" || f.str("user") != "u1" || f.str("text") != "hi" || f.str("id") == "" {
		t.Fatalf("delivery %v", f)
	}
	if _, ok := f["ts"].(float64); !ok {
		t.Fatalf("ts missing in %v", f)
	}
	deadline := time.Now().Add(readWait)
	for c.read().str("type") != "system.ping" {
		if time.Now().After(deadline) {
			t.Fatal("no system.ping")
		}
	}
}
