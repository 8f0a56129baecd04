package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// pollerOn says whether this run reads sockets through the poller: the
// tests run once as they are and once with SOCKET_POLLER=off (the
// goroutine reader, as on systems without epoll).
func pollerOn() bool { return os.Getenv("SOCKET_POLLER") != "off" && runtime.GOOS == "linux" }

// transportGoroutines counts the goroutines running in rt's socket
// transport or in the goroutine fasthttp starts for an upgraded socket.
func transportGoroutines() int {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "rt/modules/ws.") || strings.Contains(g, "fasthttp.hijackConnHandler") {
			n++
		}
	}
	return n
}

// An idle socket holds no goroutine: after 100 sockets have joined and
// gone quiet, rt's transport runs the goroutines of its pollers and
// flushers and nothing per socket. Without the poller each socket has the
// goroutine that reads it.
func TestIdleSocketsHoldNoGoroutine(t *testing.T) {
	n := startNode(t, testConfig())
	base := transportGoroutines()
	const sockets = 100
	for i := range sockets {
		dial(t, n, "idle", fmt.Sprintf("u%d", i)).ready()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := transportGoroutines() - base
		switch {
		case pollerOn() && got <= 2:
			return
		case !pollerOn() && got >= sockets:
			return
		case time.Now().After(deadline):
			t.Fatalf("%d transport goroutines for %d idle sockets (poller on: %v)", got, sockets, pollerOn())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rawSocket is a WebSocket opened by hand, for writing bytes exactly as
// the test wants them on the wire.
type rawSocket struct {
	conn net.Conn
	br   *bufio.Reader
}

// openRaw sends the upgrade request for room, with extra bytes written in
// the same write right behind it, and reads the 101.
func openRaw(t *testing.T, n *node, room, sub string, extra []byte) *rawSocket {
	t.Helper()
	conn, err := net.Dial("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET /ws/" + room + "?token=" + token(t, sub) + " HTTP/1.1\r\nHost: " + n.addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\nOrigin: " + origin + "\r\n\r\n"
	if _, err := conn.Write(append([]byte(req), extra...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return &rawSocket{conn: conn, br: br}
}

// awaitText reads server frames until a text frame containing want.
func (s *rawSocket) awaitText(t *testing.T, want string) {
	t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var h [2]byte
		if _, err := io.ReadFull(s.br, h[:]); err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		n := int(h[1] & 0x7F)
		switch n {
		case 126:
			var ext [2]byte
			_, _ = io.ReadFull(s.br, ext[:])
			n = int(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			_, _ = io.ReadFull(s.br, ext[:])
			n = int(binary.BigEndian.Uint64(ext[:]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(s.br, p); err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if h[0]&0x0F == 0x1 && bytes.Contains(p, []byte(want)) {
			return
		}
	}
}

// A frame sent in the same packet as the upgrade request is read by
// fasthttp with the request; it is served all the same.
func TestFrameRightBehindTheHandshakeIsServed(t *testing.T) {
	n := startNode(t, testConfig())
	ping := clientFrame(true, 0x1, []byte(`{"type":"system.ping","ref":"behind"}`))
	s := openRaw(t, n, "behind", "alice", ping)
	s.awaitText(t, `"ref":"behind"`)
}

// A frame that arrives a byte at a time, header and payload, is served
// once its last byte is in; the socket waits for the rest in between.
func TestFrameArrivingByteByByteIsServed(t *testing.T) {
	n := startNode(t, testConfig())
	s := openRaw(t, n, "bytes", "alice", nil)
	long := `{"type":"system.ping","ref":"` + strings.Repeat("x", 64) + `"}`
	for _, b := range append(clientFrame(true, 0x1, []byte(`{"type":"system.ping","ref":"bytes"}`)), clientFrame(true, 0x1, []byte(long))...) {
		if _, err := s.conn.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	s.awaitText(t, `"ref":"bytes"`)
	s.awaitText(t, `"ref":"`+strings.Repeat("x", 64))
}

// Sockets that have closed leave no descriptor open: the poller forgets
// them and their TCP connections are closed.
func TestClosedSocketsLeaveNoDescriptor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts /proc/self/fd")
	}
	n := startNode(t, testConfig())
	openFDs := func() int { es, _ := os.ReadDir("/proc/self/fd"); return len(es) }
	base := openFDs()
	var clients []*client
	for i := range 50 {
		c := dial(t, n, "fds", fmt.Sprintf("u%d", i))
		c.ready()
		clients = append(clients, c)
	}
	if got := openFDs() - base; got < 100 { // both ends of each socket are in this process
		t.Fatalf("%d descriptors for 50 sockets", got)
	}
	for _, c := range clients {
		c.ws.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for openFDs() > base+2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors left after closing every socket", openFDs()-base)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
