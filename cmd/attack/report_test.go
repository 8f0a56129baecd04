package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestParseCountersKeepsCountersOnly(t *testing.T) {
	text := `# HELP rt_connections open WebSocket connections on this node
# TYPE rt_connections gauge
rt_connections 3
# TYPE rt_handshakes_total counter
rt_handshakes_total{outcome="accepted",reason="ok"} 10
rt_handshakes_total{outcome="rejected",reason="too_many_connections"} 2
# TYPE rt_history_replayed_total counter
rt_history_replayed_total 1.5e+06
# TYPE go_goroutines gauge
go_goroutines 12
`
	got, err := parseCounters(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		`rt_handshakes_total{outcome="accepted",reason="ok"}`:                   10,
		`rt_handshakes_total{outcome="rejected",reason="too_many_connections"}`: 2,
		`rt_history_replayed_total`:                                             1.5e6,
	}
	if len(got) != len(want) {
		t.Fatalf("parseCounters = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestMoved(t *testing.T) {
	before := map[string]float64{"rt_a_total": 5, "rt_b_total": 7}
	after := map[string]float64{"rt_a_total": 5, "rt_b_total": 9.5, `rt_c_total{x="y"}`: 3}
	got := strings.Join(moved(before, after), ", ")
	if want := `rt_b_total +2.5, rt_c_total{x="y"} +3`; got != want {
		t.Errorf("moved = %q, want %q", got, want)
	}
}

func TestParseRedisCPU(t *testing.T) {
	info := "# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:2.500000\r\nused_cpu_sys_children:9.0\r\n"
	if got, err := parseRedisCPU(info); err != nil || got != 3.75 {
		t.Errorf("parseRedisCPU = %v, %v; want 3.75", got, err)
	}
	if _, err := parseRedisCPU("# CPU\r\nused_cpu_sys:1.0\r\n"); err == nil {
		t.Error("an answer without used_cpu_user was accepted")
	}
}

func TestRefusal(t *testing.T) {
	if got := refusal(429, strings.NewReader(`{"error":"too_many_connections"}`)); got != "429 too_many_connections" {
		t.Errorf("refusal = %q", got)
	}
	if got := refusal(503, strings.NewReader(`Service Unavailable`)); got != "503" {
		t.Errorf("refusal without a JSON body = %q", got)
	}
}

func TestRates(t *testing.T) {
	if got := perSecond(map[string]int{"429 too_many_connections": 21065}, 10); got != "429 too_many_connections 2,107/s (21,065)" {
		t.Errorf("perSecond = %q", got)
	}
	for n, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 386e6: "386,000,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%v) = %q, want %q", n, got, want)
		}
	}
}

func TestMarkdownRowPerScenario(t *testing.T) {
	rs := []*result{
		{Binary: "rt-before", Scenario: "history", Mode: "embedded", Command: "go tool task attack -- -bin /tmp/rt-before -scenario history",
			Attack: "4 sockets", RSSBefore: 25 << 20, RSSPeak: 600 << 20, RSSEnd: 400 << 20, RSSAfter: 30 << 20,
			ServerCPU: 1.5, Wall: 11, Saw: "a | b", Moved: []string{"rt_x_total +1"}},
		{Binary: "rt-after", Scenario: "fragments", Mode: "redis", Error: "boom"},
	}
	var b bytes.Buffer
	printMarkdown(&b, rs)
	out := b.String()
	for _, want := range []string{
		header,
		"| rt-before | history | embedded | 4 sockets | 25.0 MiB → **600.0 MiB** → 400.0 MiB → 30.0 MiB | 1.50 s in 11.0 s (14% of one core) | a \\| b | — |",
		"| rt-after | fragments | redis | — | — | 0.00 s; Redis 0.00 s | **failed**: boom | — |",
		"- counters of /metrics that moved: rt_x_total +1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := printJSON(&b, rs); err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back) != 2 || back[0]["rss_peak_bytes"] != float64(600<<20) {
		t.Errorf("JSON = %s (%v)", b.String(), err)
	}
}

func TestParseFlags(t *testing.T) {
	flagOutput = &bytes.Buffer{}
	p, err := parseFlags([]string{"-bin", "/tmp/rt-after", "-scenario", "fragments", "-env", "RATE_LIMIT=5", "-env", "HANDSHAKE_RATE=1", "-duration", "5s"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Env["RATE_LIMIT"] != "5" || p.Env["HANDSHAKE_RATE"] != "1" {
		t.Errorf("-env = %v", p.Env)
	}
	sc := findScenario("fragments")
	if s := p.settingsFor(sc); s.Sockets != 4 {
		t.Errorf("fragments' default sockets = %d, want 4", s.Sockets)
	}
	want := "go tool task attack -- -bin /tmp/rt-after -scenario fragments -duration 5s -env HANDSHAKE_RATE=1 -env RATE_LIMIT=5"
	if got := p.command(sc); got != want {
		t.Errorf("command = %q, want %q", got, want)
	}
	for _, bad := range [][]string{
		{}, // no -bin
		{"-bin", "x", "-scenario", "nope"},
		{"-bin", "x", "-duration", "10m"},
		{"-bin", "x", "-env", "NOEQUALS"},
		{"-bin", "x", "-cpu-server", "1", "-cpu-load", "1"},
	} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}
