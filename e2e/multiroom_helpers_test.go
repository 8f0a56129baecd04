package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// The helpers of the protocol 2 tests (SPEC §10): sockets opened with
// GET /ws?token= and rooms joined and left on them. Everything goes over a
// real socket as raw JSON, so the tests depend on the wire only.

// mrEnv is a test's nodes: embedded, one node playing both a and b; redis,
// two nodes on one real Redis. Both serve the server API.
type mrEnv struct {
	srv  *redistest.Server // nil when embedded
	a, b *apiNode
}

// mrConfig is testConfig with the room cap set: testConfig predates it.
func mrConfig() config.Config {
	cfg := testConfig()
	cfg.MaxRoomsPerConn = 100
	return cfg
}

// mrStart starts mode's nodes with cfg.
func mrStart(t *testing.T, mode histMode, cfg config.Config) mrEnv {
	t.Helper()
	if !mode.redis {
		n := startAPINode(t, cfg)
		return mrEnv{a: n, b: n}
	}
	srv := redistest.Start(t)
	cfg.RedisURL = srv.URL()
	return mrEnv{srv: srv, a: startAPINode(t, cfg), b: startAPINode(t, cfg)}
}

// mrEach runs f once per mode, as a subtest.
func mrEach(t *testing.T, cfg config.Config, f func(t *testing.T, env mrEnv)) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) { f(t, mrStart(t, mode, cfg)) })
	}
}

// dialMulti opens a socket in no room: GET /ws?token=, the token for sub
// with the extra claims.
func dialMulti(t *testing.T, n *node, sub string, claims ...jwt.MapClaims) *client {
	t.Helper()
	return dialWith(t, "ws://"+n.addr+"/ws?token="+token(t, sub, claims...), http.Header{"Origin": {origin}})
}

// isPresence reports a presence frame: these may interleave anywhere.
func isPresence(f frame) bool { return containsStr(presenceNoise, f.str("type")) }

// is matches a frame of type typ; a non-empty room or ref must match too.
func is(typ, room, ref string) func(frame) bool {
	return func(f frame) bool {
		return f.str("type") == typ && (room == "" || f.str("room") == room) && (ref == "" || f.str("ref") == ref)
	}
}

// mrWait reads c's frames (heartbeats skipped) until one satisfies want
// and returns it. Frames that satisfy skip are passed over; any other
// fails the test, naming what was awaited.
func mrWait(c *client, what string, want, skip func(frame) bool) frame {
	c.t.Helper()
	for {
		f := c.next()
		if want(f) {
			return f
		}
		if skip == nil || !skip(f) {
			c.t.Fatalf("waiting for %s, got %v", what, f)
		}
	}
}

// mrGather reads frames until n of them satisfy want, and returns those;
// the others must satisfy skip.
func mrGather(c *client, n int, what string, want, skip func(frame) bool) []frame {
	c.t.Helper()
	out := make([]frame, 0, n)
	for len(out) < n {
		out = append(out, mrWait(c, fmt.Sprintf("%s (%d of %d)", what, len(out)+1, n), want, skip))
	}
	return out
}

// mrJoin joins room with ref and waits for the room.joined that carries it.
func mrJoin(c *client, room, ref string) frame {
	c.t.Helper()
	c.send(map[string]any{"type": "room.join", "room": room, "ref": ref})
	f := mrWait(c, "room.joined "+room+" ref "+ref, is("room.joined", room, ref), isPresence)
	mrKeys(c.t, f, "type", "room", "ref")
	return f
}

// mrError sends frame (raw JSON) and wants a system.error with code and,
// when the frame had one, its ref.
func mrError(c *client, rawFrame, ref, code string) frame {
	c.t.Helper()
	c.sendRaw(rawFrame)
	f := mrWait(c, "system.error for "+rawFrame, is("system.error", "", ""), isPresence)
	if f.str("code") != code || f.str("ref") != ref || f.str("message") == "" {
		c.t.Fatalf("%s: got %v, want system.error code %s ref %q", rawFrame, f, code, ref)
	}
	return f
}

// mrQuiet proves nothing c must not get is pending: it pings with a ref
// and reads up to the pong; frames before it must satisfy allowed.
func mrQuiet(c *client, ref string, allowed func(frame) bool) {
	c.t.Helper()
	c.send(map[string]any{"type": "system.ping", "ref": ref})
	mrWait(c, "system.pong "+ref, is("system.pong", "", ref), allowed)
}

// mrKeys fails unless f has exactly the keys given.
func mrKeys(t *testing.T, f frame, keys ...string) {
	t.Helper()
	got := make([]string, 0, len(f))
	for k := range f {
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(got, want) {
		t.Fatalf("frame %v has fields %v, want %v", f, got, want)
	}
}

// mrChat sends a chat message into room (omitted when "") with the
// extra fields given.
func mrChat(c *client, room, text string, extra ...any) {
	c.t.Helper()
	m := map[string]any{"type": "chat.message", "text": text}
	if room != "" {
		m["room"] = room
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	c.send(m)
}

// mrRaw reads c's next frame that is neither a heartbeat nor a presence
// change (presence.state, an answer, is returned), as the bytes the server
// sent.
func mrRaw(c *client) []byte {
	c.t.Helper()
	for {
		data := mrRawAny(c)
		if f := mrDecode(c.t, data); !isPresence(f) || f.str("type") == "presence.state" {
			return data
		}
	}
}

// mrRawAny reads c's next frame but heartbeats, as the bytes the server sent.
func mrRawAny(c *client) []byte {
	c.t.Helper()
	timeout := time.After(readWait)
	for {
		select {
		case data, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("closed while waiting for a frame: %v", c.err)
			}
			if mrDecode(c.t, data).str("type") != "system.ping" {
				return data
			}
		case <-timeout:
			c.t.Fatalf("no frame within %s", readWait)
		}
	}
}

// mrDecode parses a frame keeping numbers as written (json.Number), so a
// data value can be compared with what was sent to the digit.
func mrDecode(t *testing.T, data []byte) frame {
	t.Helper()
	var f frame
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&f); err != nil {
		t.Fatalf("frame %q is not a JSON object: %v", data, err)
	}
	return f
}

// sameJSON reports whether got (a decoded value) equals the JSON text want,
// numbers compared as written.
func sameJSON(t *testing.T, got any, want string) bool {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(want))
	d.UseNumber()
	var w any
	if err := d.Decode(&w); err != nil {
		t.Fatalf("test data %s: %v", want, err)
	}
	return reflect.DeepEqual(got, w)
}

// mrRooms is n room names with prefix.
func mrRooms(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i)
	}
	return out
}

// mrUsers is the users named in a presence frame: user, or joins and leaves.
func mrUsers(f frame) []string {
	if u := f.str("user"); u != "" {
		return []string{u}
	}
	return append(toStrings(f["joins"]), toStrings(f["leaves"])...)
}
