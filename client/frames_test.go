package client

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// protocolFrames is every JSON frame line of docs/protocol.md: the
// captured server frames and the client frames besides, all seeds.
func protocolFrames(t testing.TB) []string {
	doc, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, `{"type":`) {
			out = append(out, line)
		}
	}
	if len(out) < 30 {
		t.Fatalf("only %d frames found in docs/protocol.md", len(out))
	}
	return out
}

func TestParseFrameDocs(t *testing.T) {
	serverTypes := 0
	for _, line := range protocolFrames(t) {
		f, err := parseFrame([]byte(line))
		if err != nil {
			// Client frames without a room are fine to refuse; server
			// frames must all parse.
			if strings.Contains(line, `"ts"`) || strings.Contains(line, `"code"`) {
				t.Errorf("%s: %v", line, err)
			}
			continue
		}
		if f.Type == "chat.delivery" {
			serverTypes++
			if f.ID == "" || f.Room == "" || f.TS == 0 {
				t.Errorf("%s: parsed as %+v", line, f)
			}
		}
	}
	if serverTypes == 0 {
		t.Fatal("no chat.delivery among the documented frames")
	}
}

func TestParseFrameRefuses(t *testing.T) {
	for _, bad := range []string{
		``, `[]`, `"x"`, `{}`, `{"type":""}`, `{"type":7}`, `{"type":"x"`,
		`{"type":"chat.delivery","room":"a"}`,                   // no id
		`{"type":"chat.delivery","id":"01"}`,                    // no room
		`{"type":"presence.join","room":"a"}`,                   // no user
		`{"type":"chat.delivery","room":"a","id":"1","ts":1.5}`, // ts not an integer
	} {
		if f, err := parseFrame([]byte(bad)); err == nil {
			t.Errorf("%q parsed as %+v", bad, f)
		}
	}
}

// FuzzParseFrame: the parser never panics, and a frame it accepts can be
// handled by a client (not connected) without panicking either.
func FuzzParseFrame(f *testing.F) {
	for _, line := range protocolFrames(f) {
		f.Add([]byte(line))
	}
	c, err := New(Config{URL: "ws://127.0.0.1:1", GetToken: func(context.Context) (string, error) { return "", nil }})
	if err != nil {
		f.Fatal(err)
	}
	// A client that believes it is connected and in the documented rooms,
	// so frames reach the room handlers; what it would send is dropped.
	s := newSession(nil)
	c.sess = s
	for _, name := range []string{"test", "news", "game-7"} {
		c.room(name).wanted = true
	}
	f.Cleanup(func() {
		c.mu.Lock()
		c.sess = nil
		c.mu.Unlock()
		c.Close()
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := parseFrame(data)
		if err != nil {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, r := range c.rooms {
			r.wanted = true
		}
		c.handle(s, fr)
		s.out, s.pongs = nil, 0
	})
}
