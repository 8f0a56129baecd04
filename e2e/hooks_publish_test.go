package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// bySpam is a publish hook: "spam" is rejected, "darn it" replaced (text
// and data), "drop data" loses its data, anything else allowed.
func bySpam(_ context.Context, m moderated) string {
	switch {
	case strings.Contains(m.Text, "spam"):
		return `{"allow":false,"code":"rejected","reason":"no spam here"}`
	case m.Text == "darn it":
		return `{"allow":true,"text":"d**n it","data":{"checked":true}}`
	case m.Text == "drop data":
		return `{"allow":true,"data":null}`
	}
	return allow
}

// A message the publish hook rejects is answered system.error rejected
// with its ref and reaches nobody, not even history; a replacement is
// delivered as replaced on every node, and stored so; the server API's
// publish goes through the same hook (403 rejected).
func TestPublishHookRejectsAndRewrites(t *testing.T) {
	b := startHookBackend(t, nil, bySpam)
	mrEach(t, b.hooked(mrConfig()), func(t *testing.T, env mrEnv) {
		alice, bob := dialMulti(t, env.a.node, "alice"), dialMulti(t, env.b.node, "bob")
		mrJoin(alice, "lobby", "a1")
		mrJoin(bob, "lobby", "b1")
		mrChat(alice, "lobby", "buy spam", "ref", "r1")
		mrChat(alice, "lobby", "darn it", "ref", "r2", "data", map[string]any{"original": 1})
		mrChat(alice, "lobby", "drop data", "ref", "r3", "data", 5)
		mrChat(alice, "lobby", "hello", "ref", "r4")

		got := map[string]frame{} // alice's answers by ref
		var toAlice []frame
		for got["r4"] == nil {
			f := mrWait(alice, "the answers to four messages", func(f frame) bool { return f.str("ref") != "" || f.str("type") == "chat.delivery" }, isPresence)
			if f.str("type") == "chat.delivery" {
				toAlice = append(toAlice, f)
			} else {
				got[f.str("ref")] = f
			}
		}
		if f := got["r1"]; f.str("type") != "system.error" || f.str("code") != "rejected" || f.str("message") != "no spam here" {
			t.Fatalf("the rejected message was answered %v", f)
		}
		for _, ref := range []string{"r2", "r3", "r4"} {
			if got[ref].str("type") != "chat.ack" {
				t.Fatalf("%s answered %v", ref, got[ref])
			}
		}
		toBob := mrGather(bob, 3, "alice's messages", is("chat.delivery", "lobby", ""), isPresence)
		toAlice = append(toAlice, mrGather(alice, 3-len(toAlice), "her own messages", is("chat.delivery", "lobby", ""), isPresence)...)
		want := []string{`d**n it {"checked":true}`, "drop data <nil>", "hello <nil>"}
		for _, got := range [][]frame{toBob, toAlice, historyOf(t, env.a, "lobby")} {
			checkTexts(t, got, want)
		}

		if m := env.a.ok(t, "POST", "/api/rooms/lobby/messages", `{"user":"bot","text":"spam for all"}`, 403); m["error"] != "rejected" {
			t.Fatalf("the server API's rejected publish: %v", m)
		}
		env.b.ok(t, "POST", "/api/rooms/lobby/messages", `{"user":"bot","text":"darn it"}`, 201)
		if f := mrWait(bob, "the bot's message", is("chat.delivery", "lobby", ""), isPresence); f.str("user") != "bot" || f.str("text") != "d**n it" {
			t.Fatalf("bob got %v", f)
		}
		checkTexts(t, historyOf(t, env.a, "lobby"), append(want, `d**n it {"checked":true}`))
	})
}

// historyOf is room's history as the server API reads it, oldest first.
func historyOf(t *testing.T, n *apiNode, room string) []frame {
	t.Helper()
	page := n.ok(t, "GET", "/api/rooms/"+room+"/history", "", 200)
	var out []frame
	for _, m := range page["messages"].([]any) {
		out = append(out, frame(m.(map[string]any)))
	}
	return out
}

// checkTexts wants deliveries to be, in order, the texts and data of want
// ("text data", data as compact JSON or <nil>).
func checkTexts(t *testing.T, deliveries []frame, want []string) {
	t.Helper()
	var got []string
	for _, f := range deliveries {
		data := "<nil>"
		if d, ok := f["data"]; ok {
			data = fmt.Sprintf(`{"checked":%v}`, d.(map[string]any)["checked"])
		}
		got = append(got, f.str("text")+" "+data)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("messages\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// One client's messages keep their order through a hook that answers
// after random delays.
func TestPublishHookKeepsOrder(t *testing.T) {
	b := startHookBackend(t, nil, func(context.Context, moderated) string {
		time.Sleep(time.Duration(rand.IntN(15)) * time.Millisecond)
		return allow
	})
	n := startNode(t, b.hooked(mrConfig()))
	alice, bob := dialMulti(t, n, "alice"), dialMulti(t, n, "bob")
	mrJoin(alice, "lobby", "a1")
	mrJoin(bob, "lobby", "b1")
	const count = 60
	for i := range count {
		mrChat(alice, "lobby", fmt.Sprint("m", i), "ref", fmt.Sprint("r", i))
	}
	for i, f := range mrGather(bob, count, "alice's messages", is("chat.delivery", "lobby", ""), isPresence) {
		if f.str("text") != fmt.Sprint("m", i) {
			t.Fatalf("delivery %d is %v", i, f)
		}
	}
}

// A backend that does not answer for one room holds up that room's
// messages only: the other rooms are served meanwhile, and the held
// messages go out once it answers.
func TestPublishHookSlowForOneRoom(t *testing.T) {
	release, stalled := make(chan struct{}), atomic.Int64{}
	b := startHookBackend(t, nil, func(ctx context.Context, m moderated) string {
		if m.Room != "slow" {
			return allow
		}
		stalled.Add(1)
		defer stalled.Add(-1)
		select {
		case <-release:
			return allow
		case <-ctx.Done():
			return ""
		}
	})
	cfg := b.hooked(mrConfig())
	cfg.HookTimeout = readWait // never reached: the test answers first
	n := startAPINode(t, cfg)
	carol, alice, bob := dialMulti(t, n.node, "carol"), dialMulti(t, n.node, "alice"), dialMulti(t, n.node, "bob")
	mrJoin(carol, "slow", "c0")
	mrJoin(alice, "fast", "a0")
	mrJoin(bob, "fast", "b0")
	const held = 5
	for i := range held {
		mrChat(carol, "slow", fmt.Sprint("held ", i), "ref", fmt.Sprint("c", i+1))
	}
	// Her first messages wait for the backend, the rest behind them (one
	// client's messages go out in order).
	if !waitFor(readWait, func() bool { return stalled.Load() > 0 }) {
		t.Fatal("carol's messages never reached the backend")
	}

	for i := range 10 {
		mrChat(alice, "fast", fmt.Sprint("m", i))
	}
	n.ok(t, "POST", "/api/rooms/fast/messages", `{"user":"bot","text":"from the API"}`, 201)
	mrGather(bob, 11, "the fast room's messages", is("chat.delivery", "fast", ""), isPresence)
	if stalled.Load() == 0 {
		t.Fatal("carol's messages were answered before the test released them")
	}

	close(release)
	acks := mrGather(carol, held, "the acks of the held messages", is("chat.ack", "slow", ""),
		func(f frame) bool { return isPresence(f) || f.str("type") == "chat.delivery" })
	for i, f := range acks {
		if f.str("ref") != fmt.Sprint("c", i+1) {
			t.Fatalf("ack %d: %v", i, f)
		}
	}
}

// A publish hook that does not answer within HOOK_TIMEOUT: the message is
// unavailable (with its ref; the client may resend it), 503 on the server
// API, and stored nowhere; with HOOK_FAIL_OPEN=true it goes out as sent.
func TestPublishHookThatTimesOut(t *testing.T) {
	b := startHookBackend(t, nil, func(ctx context.Context, _ moderated) string { return never(ctx) })
	closed := startAPINode(t, b.hooked(mrConfig()))
	alice := dialMulti(t, closed.node, "alice")
	mrJoin(alice, "lobby", "a1")
	mrError(alice, `{"type":"chat.message","room":"lobby","text":"hi","ref":"r1"}`, "r1", "unavailable")
	if m := closed.ok(t, "POST", "/api/rooms/lobby/messages", `{"user":"bot","text":"hi"}`, 503); m["error"] != "unavailable" {
		t.Fatalf("the server API's publish: %v", m)
	}
	if h := historyOf(t, closed, "lobby"); len(h) != 0 {
		t.Fatalf("history holds %v", h)
	}

	cfg := b.hooked(mrConfig())
	cfg.HookFailOpen = true
	open := startNode(t, cfg)
	bob := dialMulti(t, open, "bob")
	mrJoin(bob, "lobby", "b1")
	mrChat(bob, "lobby", "hi anyway", "ref", "r2")
	if f := mrWait(bob, "his message", is("chat.delivery", "lobby", ""), isPresence); f.str("text") != "hi anyway" {
		t.Fatalf("got %v", f)
	}
}
