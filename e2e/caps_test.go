package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// refusal dials expecting an HTTP refusal and returns its status and code.
func refusal(t *testing.T, n *node, room, sub string) (int, string) {
	t.Helper()
	_, resp, err := dialRaw(n.wsURL(room)+"?token="+token(t, sub), http.Header{"Origin": {origin}})
	if err == nil || resp == nil {
		t.Fatalf("handshake for %s accepted, want a refusal", sub)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct{ Error string }
	_ = json.Unmarshal(body, &e)
	return resp.StatusCode, e.Error
}

func TestConnectionsPerUserCap(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnsPerUser = 2
	n := startNode(t, cfg)
	first := dial(t, n, "test", "alice")
	first.ready()
	dial(t, n, "other", "alice").ready() // the cap counts across rooms
	if status, code := refusal(t, n, "test", "alice"); status != 429 || code != "too_many_connections" {
		t.Fatalf("third socket: %d %q, want 429 too_many_connections", status, code)
	}
	dial(t, n, "test", "bob").ready() // other users are not affected
	first.ws.Close()
	eventually(t, "a slot frees when a socket closes", func() bool {
		c, _, err := dialRaw(n.wsURL("test")+"?token="+token(t, "alice"), http.Header{"Origin": {origin}})
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

func TestConnectionsPerNodeCap(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConns = 2
	n := startNode(t, cfg)
	dial(t, n, "test", "a").ready()
	dial(t, n, "test", "b").ready()
	if status, code := refusal(t, n, "test", "c"); status != 503 || code != "server_full" {
		t.Fatalf("third socket: %d %q, want 503 server_full", status, code)
	}
}
