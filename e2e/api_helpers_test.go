package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/fx"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/api"
	"github.com/rtserver/rt/modules/redis/redistest"
)

const apiKey = "e2e-api-key-0123456789"

// apiNode is a node serving the server API on a port of its own.
type apiNode struct {
	*node
	api string // http://host:port of the API listener
}

// withAPI turns the API on, on a free loopback port, with apiKey.
func withAPI(cfg config.Config) config.Config {
	cfg.APIAddr, cfg.APIKey = "127.0.0.1:0", apiKey
	return cfg
}

func startAPINode(t *testing.T, cfg config.Config, extra ...fx.Option) *apiNode {
	t.Helper()
	var s *api.Server
	n := startNode(t, withAPI(cfg), append(extra, fx.Populate(&s))...)
	return &apiNode{node: n, api: "http://" + s.Addr().String()}
}

// twoAPINodes are two nodes on one real Redis, both serving the API.
func twoAPINodes(t *testing.T) (*redistest.Server, *apiNode, *apiNode) {
	t.Helper()
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	return srv, startAPINode(t, cfg), startAPINode(t, cfg)
}

// call sends one request to the API with auth as its Authorization header
// ("" for none) and returns the status and body.
func (n *apiNode) call(t *testing.T, method, path, auth, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, n.api+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// ok sends an authorized request and checks its status.
func (n *apiNode) ok(t *testing.T, method, path, body string, status int) map[string]any {
	t.Helper()
	got, b := n.call(t, method, path, "Bearer "+apiKey, body)
	if got != status {
		t.Fatalf("%s %s: %d %s, want %d", method, path, got, b, status)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %s is not a JSON object: %v", method, path, b, err)
	}
	return m
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// alive checks c still answers a ping.
func (c *client) alive() {
	c.t.Helper()
	c.send(map[string]string{"type": "system.ping"})
	c.expect("system.pong", append([]string{"chat.delivery"}, presenceNoise...)...)
}

// padded is body with spaces after it up to size bytes.
func padded(body string, size int) string { return body + strings.Repeat(" ", size-len(body)) }
