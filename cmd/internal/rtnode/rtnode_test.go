package rtnode

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestEnv(t *testing.T) {
	t.Setenv("RATE_LIMIT", "1")             // the caller's shell must not change what is measured
	t.Setenv("JWT_LEEWAY", "30s")           // left at rt's default: removed
	t.Setenv("SOMETHING_ELSE", "kept")      // not rt's: passed on
	t.Setenv("HANDSHAKE_RATE", "20")        // every client of a run is 127.0.0.1: the limit stays off
	t.Setenv("API_ADDR", "127.0.0.1:8001")  // exported for rtctl: no node of a run may take it
	t.Setenv("API_KEY", "0123456789abcdef") // nor its key
	t.Setenv("HANDSHAKE_RATE", "0")         // the binary's own default is what is measured

	t.Setenv("PUBLISH_HOOK_URL", "http://127.0.0.1:9/hook") // no backend unless one is asked for
	t.Setenv("HOOK_TIMEOUT", "5s")                          // left at rt's default: removed
	env := Env(8123, "", map[string]string{"RATE_BURST": "5000", "LOG_LEVEL": "error"})
	get := func(k string) []string {
		var vals []string
		for _, kv := range env {
			if key, v, _ := strings.Cut(kv, "="); key == k {
				vals = append(vals, v)
			}
		}
		return vals
	}
	for k, want := range map[string]string{
		"PORT": "8123", "HOST": "127.0.0.1", "RATE_LIMIT": "20", "RATE_BURST": "5000",
		"LOG_LEVEL": "error", "REDIS_URL": "", "SOMETHING_ELSE": "kept",
		"HISTORY_SIZE": "200", "SEND_QUEUE": "256", "HANDSHAKE_RATE": "0", "TRUSTED_PROXIES": "",
		"PUBLISH_HOOK_URL": "", "HOOK_SECRET": "",
	} {
		if got := get(k); !slices.Equal(got, []string{want}) {
			t.Errorf("%s = %q, want exactly [%q]", k, got, want)
		}
	}
	for _, k := range []string{"JWT_LEEWAY", "API_ADDR", "API_KEY", "SEND_QUEUE_BYTES", "HOOK_TIMEOUT"} {
		if got := get(k); got != nil {
			t.Errorf("%s = %q, want it unset", k, got)
		}
	}
}

func TestCheckRedisURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"redis://127.0.0.1:6379", true},
		{"redis://user:pw@127.0.0.1:6380/2", true},
		{"rediss://127.0.0.1:6379", true},
		{"redis://[::1]:6379", true},
		{"redis://localhost:6379", false}, // a name could resolve anywhere
		{"redis://10.0.0.5:6379", false},
		{"redis://example.com:6379", false},
		{"http://127.0.0.1:6379", false},
		{"127.0.0.1:6379", false},
	}
	for _, tt := range tests {
		if err := CheckRedisURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckRedisURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

func TestDialLoopbackRefusesOtherHosts(t *testing.T) {
	for _, addr := range []string{"10.0.0.1:80", "example.com:80", "0.0.0.0:80", "localhost:80"} {
		_, err := DialLoopback(context.Background(), "tcp", addr)
		if err == nil || !strings.Contains(err.Error(), "only loopback") {
			t.Errorf("DialLoopback(%q) = %v, want a refusal", addr, err)
		}
	}
}

func TestWSURL(t *testing.T) {
	if got, want := WSURL(8123, "lobby", "h.p-a_y", ""), "ws://127.0.0.1:8123/ws/lobby?token=h.p-a_y"; got != want {
		t.Errorf("WSURL without since = %q, want %q", got, want)
	}
	if got, want := WSURL(8123, "lobby", "h.p-a_y", "1-0"), "ws://127.0.0.1:8123/ws/lobby?since=1-0&token=h.p-a_y"; got != want {
		t.Errorf("WSURL with since = %q, want %q", got, want)
	}
}

func TestDialLoopbackFrom(t *testing.T) {
	for _, src := range []string{"10.0.0.1", "0.0.0.0", "::"} {
		if _, err := DialLoopbackFrom(netip.MustParseAddr(src)); err == nil {
			t.Errorf("DialLoopbackFrom(%s) accepted a source that is not loopback", src)
		}
	}
	dial, err := DialLoopbackFrom(netip.MustParseAddr("127.0.0.3"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t.Context(), "tcp", "10.0.0.1:80"); err == nil || !strings.Contains(err.Error(), "only loopback") {
		t.Errorf("a dial to another host = %v, want a refusal", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(Loopback, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := dial(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if got := peer.RemoteAddr().(*net.TCPAddr).IP.String(); got != "127.0.0.3" {
		t.Errorf("the server saw the dial from %s, want 127.0.0.3", got)
	}
}
