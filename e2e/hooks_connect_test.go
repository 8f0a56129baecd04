package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rtserver/rt/modules/app"
)

// The connect hook is asked before the upgrade, with the user, the room
// (null on /ws), the token's own claims and the client's address; a user
// it refuses gets 403 hook_denied with its reason (made safe to show), and
// the room of the URL is not asked about again once the socket is open.
func TestConnectHookDeniesAHandshake(t *testing.T) {
	b := startHookBackend(t, func(_ context.Context, a asked) string {
		if a.User == "mallory" {
			return `{"allow":false,"reason":"banned until Monday\n\u0007"}`
		}
		if a.User == "silent" {
			return `{"allow":false}`
		}
		return allow
	}, nil)
	n := startNode(t, b.hooked(mrConfig()))

	for _, path := range []string{"/ws/lobby?token=" + token(t, "mallory"), "/ws?token=" + token(t, "mallory")} {
		status, body := handshake(t, n, path)
		if status != 403 || body["error"] != "hook_denied" || body["reason"] != "banned until Monday" {
			t.Fatalf("%s: %d %v, want 403 hook_denied with the reason", path, status, body)
		}
	}
	if status, body := handshake(t, n, "/ws/lobby?token="+token(t, "silent")); status != 403 || body["error"] != "hook_denied" || body["reason"] == "" {
		t.Fatalf("a refusal without a reason: %d %v", status, body)
	}

	before := len(b.connects())
	alice := dialWith(t, n.wsURL("lobby")+"?token="+token(t, "alice", jwt.MapClaims{"plan": "pro", "teams": []int{1, 2}}),
		map[string][]string{"Origin": {origin}})
	alice.ready()
	dialMulti(t, n, "bob").alive()
	got := b.connects()[before:]
	if len(got) != 2 {
		t.Fatalf("the backend was asked %d times for two handshakes: %+v", len(got), got)
	}
	a, bob := got[0], got[1]
	if a.User != "alice" || a.Room == nil || *a.Room != "lobby" || a.Remote != "127.0.0.1" ||
		a.Claims["sub"] != "alice" || a.Claims["plan"] != "pro" || fmt.Sprint(a.Claims["teams"]) != "[1 2]" {
		t.Errorf("alice's handshake was asked as %+v", a)
	}
	if bob.User != "bob" || bob.Room != nil || bob.Claims["sub"] != "bob" {
		t.Errorf("bob's handshake on /ws was asked as %+v", bob)
	}
	m := n.scrape(t)
	if m.Value("rt_hook_calls_total", "hook", "connect", "outcome", "denied") != 3 ||
		m.Value("rt_hook_calls_total", "hook", "connect", "outcome", "allowed") != 2 ||
		m.Value("rt_handshakes_total", "outcome", "rejected", "reason", "hook_denied") != 3 {
		t.Errorf("the metrics do not count the hook's answers")
	}
}

// A connect hook that does not answer within HOOK_TIMEOUT refuses the
// handshake with 503 hook_unavailable (the client retries); with
// HOOK_FAIL_OPEN=true the socket opens.
func TestConnectHookThatTimesOut(t *testing.T) {
	b := startHookBackend(t, func(ctx context.Context, _ asked) string { return never(ctx) }, nil)
	closed := startNode(t, b.hooked(mrConfig()))
	if status, body := handshake(t, closed, "/ws/lobby?token="+token(t, "alice")); status != 503 || body["error"] != "hook_unavailable" {
		t.Fatalf("%d %v, want 503 hook_unavailable", status, body)
	}
	cfg := b.hooked(mrConfig())
	cfg.HookFailOpen = true
	open := startNode(t, cfg)
	c := dial(t, open, "lobby", "alice")
	c.ready()
	mrJoin(c, "other", "j1") // a join the hook does not answer goes through too
}

// A room.join the connect hook refuses is answered hook_denied with its
// ref and the reason, and leaves the socket out of the room; the joins
// asked with it, and the rooms already joined, are not affected. A join
// the hook does not answer is unavailable, with its ref.
func TestConnectHookDeniesARoomJoin(t *testing.T) {
	b := startHookBackend(t, func(ctx context.Context, a asked) string {
		switch {
		case a.Room == nil:
			return allow
		case strings.HasPrefix(*a.Room, "secret"):
			return `{"allow":false,"reason":"members only"}`
		case *a.Room == "stalled":
			return never(ctx)
		}
		return allow
	}, nil)
	n := startNode(t, b.hooked(mrConfig()))
	alice, bob := dialMulti(t, n, "alice"), dialMulti(t, n, "bob")
	mrJoin(alice, "open", "a1")
	mrJoin(bob, "open", "b1")

	mrError(alice, `{"type":"room.join","room":"secret","ref":"a2"}`, "a2", "hook_denied")
	// Joins sent together are asked about together; each gets its own answer.
	for i, room := range []string{"one", "secret-2", "two"} {
		alice.send(map[string]any{"type": "room.join", "room": room, "ref": "batch" + string(rune('0'+i))})
	}
	answers := mrGather(alice, 3, "the answers to three joins", func(f frame) bool {
		return strings.HasPrefix(f.str("ref"), "batch")
	}, isPresence)
	for _, f := range answers {
		want := map[string]string{"batch0": "room.joined", "batch1": "system.error", "batch2": "room.joined"}[f.str("ref")]
		if f.str("type") != want || (want == "system.error" && (f.str("code") != "hook_denied" || f.str("message") != "members only")) {
			t.Fatalf("answer %v, want %s", f, want)
		}
	}
	mrError(alice, `{"type":"room.join","room":"stalled","ref":"a3"}`, "a3", "unavailable")

	// Not in the refused rooms; the others serve as before.
	mrError(alice, `{"type":"chat.message","room":"secret","text":"hi","ref":"a4"}`, "a4", "not_joined")
	mrError(alice, `{"type":"chat.message","room":"stalled","text":"hi","ref":"a5"}`, "a5", "not_joined")
	mrChat(alice, "open", "still here", "ref", "a6")
	mrWait(alice, "the ack", is("chat.ack", "open", "a6"), func(f frame) bool { return isPresence(f) || f.str("type") == "chat.delivery" })
	if f := mrWait(bob, "alice's message", is("chat.delivery", "open", ""), isPresence); f.str("text") != "still here" {
		t.Fatalf("bob got %v", f)
	}
	asks := len(b.connects())
	mrError(alice, `{"type":"room.join","room":"secret","ref":"a7"}`, "a7", "hook_denied")
	if len(b.connects()) != asks+1 { // asked again, not remembered: the backend decides each time
		t.Errorf("the backend was asked %d times about a join", len(b.connects())-asks)
	}
}

// The hooks module can be left out like any extra: the transport and the
// hub take its parts as optional, so the node serves without asking the
// backend anything, whatever the configuration says.
func TestHooksModuleCanBeLeftOut(t *testing.T) {
	deny := func(context.Context, moderated) string { return `{"allow":false}` }
	b := startHookBackend(t, func(context.Context, asked) string { return `{"allow":false}` }, deny)
	n, err := launch(b.hooked(mrConfig()), app.Embedded)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.stop(t) })
	chats(t, n)
	if asked := len(b.connects()); asked != 0 {
		t.Fatalf("the backend was asked %d times", asked)
	}
}
