package ws

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// requestFrom is a request as the server sees it: from peer (ip:port),
// with the given X-Forwarded-For header lines.
func requestFrom(t *testing.T, app *fiber.App, peer string, xff ...string) *fiber.Ctx {
	t.Helper()
	tcp, err := net.ResolveTCPAddr("tcp", peer)
	if err != nil {
		t.Fatal(err)
	}
	var req fasthttp.Request
	req.SetRequestURI("/ws/lobby")
	for _, v := range xff {
		req.Header.Add(fiber.HeaderXForwardedFor, v)
	}
	fctx := &fasthttp.RequestCtx{}
	fctx.Init(&req, tcp, nil)
	c := app.AcquireCtx(fctx)
	t.Cleanup(func() { app.ReleaseCtx(c) })
	return c
}

func TestClientAddr(t *testing.T) {
	addrs := clientAddrs{trusted: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("fd00::/8"),
	}}
	tests := []struct {
		name string
		peer string
		xff  []string
		want string
	}{
		{"untrusted peer", "203.0.113.5:40000", nil, "203.0.113.5"},
		{"untrusted peer, another port", "203.0.113.5:40001", nil, "203.0.113.5"},
		{"untrusted peer spoofing XFF", "203.0.113.5:40000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.5]:40000", nil, "203.0.113.5"},
		{"trusted peer, no XFF", "10.1.2.3:40000", nil, "10.1.2.3"},
		{"trusted peer, one client", "10.1.2.3:40000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted peer, client wrote an address in front", "10.1.2.3:40000", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "10.1.2.3:40000", []string{"1.1.1.1, 198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"a trusted single address in the chain", "192.0.2.1:40000", []string{"198.51.100.1,192.0.2.1"}, "198.51.100.1"},
		{"several header lines, the last is rightmost", "10.1.2.3:40000", []string{"1.1.1.1", "198.51.100.1, 10.0.0.7"}, "198.51.100.1"},
		{"every address trusted: the leftmost", "10.1.2.3:40000", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"IPv6 client", "[fd00::1]:40000", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped client", "10.1.2.3:40000", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"malformed: a name", "10.1.2.3:40000", []string{"proxy.example"}, "10.1.2.3"},
		{"malformed: with a port", "10.1.2.3:40000", []string{"198.51.100.1:5555"}, "10.1.2.3"},
		{"malformed: empty entry", "10.1.2.3:40000", []string{"198.51.100.1, "}, "10.1.2.3"},
		{"malformed: empty header", "10.1.2.3:40000", []string{""}, "10.1.2.3"},
		{"malformed left of the client is never read", "10.1.2.3:40000", []string{"garbage, 198.51.100.1"}, "198.51.100.1"},
		{"malformed right of the client", "10.1.2.3:40000", []string{"198.51.100.1, garbage"}, "10.1.2.3"},
	}
	app := fiber.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := addrs.of(requestFrom(t, app, tt.peer, tt.xff...)); got != netip.MustParseAddr(tt.want) {
				t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", tt.peer, tt.xff, got, tt.want)
			}
		})
	}
}

func TestClientAddrTrustsNobodyByDefault(t *testing.T) {
	got := clientAddrs{}.of(requestFrom(t, fiber.New(), "127.0.0.1:5000", "198.51.100.1"))
	if got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("got %s, want the peer", got)
	}
}

// FuzzForwardedFor: whatever a trusted proxy's X-Forwarded-For holds, the
// client is the peer or an address written in it, without a zone, and
// never a panic.
func FuzzForwardedFor(f *testing.F) {
	for _, seed := range []string{"", "203.0.113.7", "203.0.113.7, 10.0.0.2", "x, 10.0.0.2", "::ffff:1.2.3.4,fd00::1",
		"fe80::1%eth0", " , ,", "10.0.0.1,10.0.0.2"} {
		f.Add(seed, "198.51.100.9")
	}
	addrs := clientAddrs{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}
	peer := netip.MustParseAddr("10.1.1.1")
	f.Fuzz(func(t *testing.T, first, second string) {
		got := addrs.forwarded(peer, [][]byte{[]byte(first), []byte(second)})
		if !got.IsValid() || got.Zone() != "" {
			t.Fatalf("client %v", got)
		}
		if got == peer {
			return
		}
		for _, entry := range strings.Split(first+","+second, ",") {
			if ip, err := netip.ParseAddr(strings.TrimSpace(entry)); err == nil && ip.Unmap().WithZone("") == got {
				return
			}
		}
		t.Fatalf("client %v is neither the peer nor written in %q, %q", got, first, second)
	})
}
