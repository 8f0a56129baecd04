package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/redis/redistest"
	"github.com/rtserver/rt/modules/webhook"
)

// crashHookTimeout keeps the takeover quick: a batch a dead node held is
// claimed by another after ten times HOOK_TIMEOUT.
const crashHookTimeout = 300 * time.Millisecond

// Events produced on a node that is then killed with SIGKILL while the
// backend is down are delivered by another node once the backend is back,
// under the ids the dead node first sent them with (SPEC §11: in redis
// mode an rt node that crashes loses none).
func TestWebhookEventsOutliveACrashedNode(t *testing.T) {
	srv := redistest.Start(t)
	backend := newEventBackend(t)
	backend.setDown(true)
	a := startProcess(t, map[string]string{
		"REDIS_URL": srv.URL(), "WEBHOOK_URL": backend.url(), "HOOK_SECRET": hookSecret,
		"HOOK_TIMEOUT": crashHookTimeout.String(),
	})
	alice := dialWith(t, a.wsURL("crash")+"?token="+token(t, "alice"), http.Header{"Origin": {origin}})
	alice.ready()
	for i := range 3 {
		alice.chat(fmt.Sprintf("m%d", i))
		alice.expect("chat.delivery", "presence.join", "presence.diff")
	}
	// Node A has taken all five from Redis and sent them at least once: they
	// are its pending batch when it dies.
	const produced = 5 // room.occupied, presence.join, 3 × message.published
	deadline := time.Now().Add(30 * time.Second)
	for len(backend.sentIDs()) < produced {
		if time.Now().After(deadline) {
			t.Fatalf("node A sent %d events, want %d; its log:\n%s", len(backend.sentIDs()), produced, a.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	firstSent := backend.sentIDs()
	a.kill()

	cfg := testConfig()
	cfg.RedisURL, cfg.WebhookURL, cfg.HookSecret, cfg.HookTimeout = srv.URL(), backend.url(), hookSecret, crashHookTimeout
	startNode(t, cfg) // node B, started after the crash: it must find A's batch by itself
	backend.setDown(false)
	evs := backend.waitFor("node A's five events", 60*time.Second, func(evs []webhook.Event) bool {
		return len(inRoom(evs, "crash")) >= produced
	})
	crash := inRoom(evs, "crash")
	var types, texts []string
	for _, e := range crash {
		types = append(types, e.Type)
		if firstSent[e.ID] == 0 {
			t.Errorf("event %s %s was delivered under an id node A never sent", e.Type, e.ID)
		}
		if e.Message != nil {
			texts = append(texts, e.Message.Text)
		}
	}
	slices.Sort(types)
	want := []string{"message.published", "message.published", "message.published", "presence.join", "room.occupied"}
	if !slices.Equal(types, want) || len(crash) != produced {
		t.Errorf("delivered %v, want %v once each", summary(crash), want)
	}
	slices.Sort(texts)
	if !slices.Equal(texts, []string{"m0", "m1", "m2"}) {
		t.Errorf("message texts %v", texts)
	}
}

// inRoom keeps the events of room.
func inRoom(evs []webhook.Event, room string) []webhook.Event {
	var out []webhook.Event
	for _, e := range evs {
		if e.Room == room {
			out = append(out, e)
		}
	}
	return out
}
