package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/api/spec"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/nodes"
)

// quickNodes reports every 50 ms with a 1 s TTL, so the tests need not
// wait for the real 5 s.
func quickNodes() fx.Option {
	return fx.Supply(&nodes.Settings{Interval: 50 * time.Millisecond, TTL: time.Second, Window: time.Minute, Busiest: 20})
}

// Every admin route needs the key; the page needs none and comes with
// headers that keep it from framing, foreign scripts and caches.
func TestAdminRoutesNeedTheKeyAndThePageDoesNot(t *testing.T) {
	an := startAPINode(t, testConfig())
	for _, r := range spec.Routes {
		if r.Module != "admin" {
			continue
		}
		if status, body := an.call(t, r.Method, r.Path, "", ""); status != 401 || !strings.Contains(string(body), `"unauthorized"`) {
			t.Errorf("%s without the key: %d %s", r.Path, status, body)
		}
		if status, body := an.call(t, r.Method, r.Path, "Bearer wrong", ""); status != 401 {
			t.Errorf("%s with a wrong key: %d %s", r.Path, status, body)
		}
	}
	for path, ctype := range map[string]string{"/admin": "text/html", "/admin/admin.js": "text/javascript",
		"/admin/charts.js": "text/javascript", "/admin/admin.css": "text/css"} {
		resp, err := http.Get(an.api + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != 200 || !strings.HasPrefix(h.Get("Content-Type"), ctype) || len(body) == 0 {
			t.Errorf("%s: %d %s", path, resp.StatusCode, h.Get("Content-Type"))
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	// The public port does not serve it.
	if resp := an.get(t, "/admin"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/admin on the public port: %d", resp.StatusCode)
	}
}

// One node in embedded mode: itself, with its sockets and rooms, its
// busiest rooms with their users, and a refused limit.
func TestAdminShowsTheNodeAndItsBusiestRooms(t *testing.T) {
	an := startAPINode(t, testConfig(), quickNodes())
	for _, sub := range []string{"bob", "alice"} {
		dial(t, an.node, "busy", sub).ready()
	}
	dial(t, an.node, "quiet", "carol").ready()

	var got struct{ Nodes []nodes.Node }
	an.getJSON(t, "/api/admin/nodes", &got)
	if len(got.Nodes) != 1 {
		t.Fatalf("nodes %+v, want this one", got.Nodes)
	}
	n := got.Nodes[0]
	if n.Connections != 3 || n.Rooms != 2 || n.Version == "" || n.ID == "" || n.Addr != an.addr ||
		n.Backend.Mode != "embedded" || n.Backend.Status != "ok" || n.Busiest != nil || n.Samples != nil {
		t.Errorf("node %+v", n)
	}

	var rooms struct {
		Rooms []struct {
			Room    string
			Members int
			Users   []string
		}
	}
	an.getJSON(t, "/api/admin/rooms", &rooms)
	if len(rooms.Rooms) != 2 || rooms.Rooms[0].Room != "busy" || rooms.Rooms[0].Members != 2 ||
		!slices.Equal(rooms.Rooms[0].Users, []string{"alice", "bob"}) || rooms.Rooms[1].Room != "quiet" {
		t.Errorf("rooms %+v", rooms.Rooms)
	}
	an.getJSON(t, "/api/admin/rooms?limit=1", &rooms)
	if len(rooms.Rooms) != 1 {
		t.Errorf("limit=1: %+v", rooms.Rooms)
	}
	for _, bad := range []string{"0", "101", "x", "01", "1&limit=2", "-1"} {
		if status, body := an.call(t, "GET", "/api/admin/rooms?limit="+bad, "Bearer "+apiKey, ""); status != 400 || !strings.Contains(string(body), `"bad_message"`) {
			t.Errorf("limit=%s: %d %s", bad, status, body)
		}
	}
}

// The series has samples, one per interval, and a message published shows
// in the rate of one of them.
func TestAdminSeriesHasSamples(t *testing.T) {
	an := startAPINode(t, testConfig(), quickNodes())
	c := dial(t, an.node, "charts", "alice")
	c.ready()
	c.chat("counted")
	c.expect("chat.delivery", presenceNoise...)

	var series struct {
		Nodes []struct {
			ID      string
			Samples []nodes.Sample
		}
	}
	counted := waitFor(10*time.Second, func() bool {
		an.getJSON(t, "/api/admin/series", &series)
		for _, s := range series.Nodes[0].Samples {
			if s.Messages > 0 && s.Deliveries > 0 && s.Connections == 1 {
				return true
			}
		}
		return false
	})
	if !counted || len(series.Nodes) != 1 {
		t.Fatalf("no sample counted the message: %+v", series.Nodes)
	}
	samples := series.Nodes[0].Samples
	for i := 1; i < len(samples); i++ {
		if samples[i].At <= samples[i-1].At {
			t.Errorf("samples out of order: %+v", samples)
		}
	}
}

// getJSON GETs path with the key and decodes the 200 answer into v.
func (n *apiNode) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	status, body := n.call(t, "GET", path, "Bearer "+apiKey, "")
	if status != 200 {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %s: %v", path, body, err)
	}
}

// BenchmarkAdminNodeSnapshot is what a node pays for its record: one
// snapshot (a Gather of the whole registry and the busiest rooms) per op,
// which a node makes twice every 5 s (the record and the sample) and once
// per admin call; and, as full-record-bytes, the JSON of a record with a
// full ring (180 samples) and 20 rooms, what Redis holds per node.
//
//	go test -run '^$' -bench AdminNodeSnapshot ./e2e
func BenchmarkAdminNodeSnapshot(b *testing.B) {
	var ns nodes.Nodes
	cfg := testConfig()
	n, err := tryStartNode(cfg, fx.Populate(&ns))
	if err != nil {
		b.Fatal(err)
	}
	defer n.app.Stop(b.Context())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ns.List(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	full := nodes.Node{ID: "host-0123abcd", Version: "v1.2.3", Commit: strings.Repeat("0", 40), GoVersion: "go1.26.0",
		StartedAt: time.Now().UnixMilli(), LastSeen: time.Now().UnixMilli(), Addr: "10.0.0.12:8000", Connections: 12345,
		Rooms: 2345, Messages: 123456789, Deliveries: 987654321, Backend: nodes.Backend{Mode: "cluster", Status: "ok", Shards: 3}}
	for i := range nodes.DefaultSettings.Busiest {
		full.Busiest = append(full.Busiest, hub.RoomSize{Room: fmt.Sprintf("room-name-%02d", i), Members: 1000 - i})
	}
	for i := range int(nodes.DefaultSettings.Window / nodes.DefaultSettings.Interval) {
		full.Samples = append(full.Samples, nodes.Sample{At: time.Now().UnixMilli() + int64(i)*5000,
			Messages: 123.4, Deliveries: 45678.2, P99: 12.34567, Connections: 12345})
	}
	body, _ := json.Marshal(full)
	b.ReportMetric(float64(len(body)), "full-record-bytes")
}
