package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook"
	"github.com/rtserver/rt/modules/webhook/webhooktest"
)

// The whole of SPEC §11 on two nodes over one real Redis, against real
// backends started by the test: a user the connect hook denies gets 403 on
// either node; a message the publish hook rewrites is delivered rewritten
// on both; and the webhook gets every event of the room once, cluster-wide
// (one room.occupied though members joined on both nodes, one room.vacated
// once the last left either), each signed (the backend checks), and the
// batches it failed are sent again with the same ids.
func TestHooksAndWebhooksOnTwoNodes(t *testing.T) {
	hooked := startHookBackend(t, func(_ context.Context, a asked) string {
		if a.User == "mallory" {
			return `{"allow":false,"reason":"banned"}`
		}
		return allow
	}, func(_ context.Context, m moderated) string {
		if up, ok := strings.CutPrefix(m.Text, "!up "); ok {
			return `{"allow":true,"text":"` + strings.ToUpper(up) + `"}`
		}
		return allow
	})
	events := webhooktest.NewBackend(t, func(n int, _ webhooktest.Batch) int {
		if n <= 2 { // the first two batches fail: a backend deploying
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	cfg := hooked.hooked(mrConfig())
	cfg.RedisURL, cfg.WebhookURL = redistest.Start(t).URL(), events.URL()
	a, b := startNode(t, cfg), startNode(t, cfg)

	for _, n := range []*node{a, b} {
		if status, body := handshake(t, n, "/ws/pair?token="+token(t, "mallory")); status != 403 || body["error"] != "hook_denied" {
			t.Fatalf("mallory's handshake: %d %v, want 403 hook_denied", status, body)
		}
	}
	alice := dial(t, a, "pair", "alice")
	alice.ready()
	bob := dial(t, b, "pair", "bob")
	bob.ready()
	alice.chat("!up hello")
	for _, c := range []*client{alice, bob} {
		if f := c.expect("chat.delivery", presenceNoise...); f.str("text") != "HELLO" {
			t.Fatalf("delivered %v, want the rewrite", f)
		}
	}
	alice.ws.Close()
	bob.ws.Close()

	want := []string{"message.published alice HELLO", "presence.join alice", "presence.join bob",
		"presence.leave alice", "presence.leave bob", "room.occupied", "room.vacated"}
	events.Await("the room's seven events accepted", func([]webhooktest.Batch) bool {
		return len(inRoom(events.Accepted(), "pair")) >= len(want)
	})
	accepted := inRoom(events.Accepted(), "pair")
	got := make([]string, len(accepted))
	for i, e := range accepted {
		got[i] = eventLine(e)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("events accepted:\n%s\nwant each once:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every event of a failed batch was accepted later under the same id.
	ids := make(map[string]bool)
	for _, e := range events.Accepted() {
		ids[e.ID] = true
	}
	failed := 0
	for _, batch := range events.Batches() {
		if batch.Status >= 300 {
			for _, id := range batch.IDs() {
				failed++
				if !ids[id] {
					t.Errorf("event %s of a failed batch was never accepted", id)
				}
			}
		}
	}
	if failed == 0 {
		t.Error("no batch failed: the retry was not exercised")
	}
}

// eventLine is an event as "type user text" (user and text when it has them).
func eventLine(e webhook.Event) string {
	s := e.Type
	if e.User != "" {
		s += " " + e.User
	}
	if e.Message != nil {
		s += " " + e.Message.Text
	}
	return s
}
